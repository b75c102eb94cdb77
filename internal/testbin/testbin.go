package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The environment variables that name prebuilt binaries.
const (
	CarpvmEnv = "CARPVM_TEST_BIN"
	GovcEnv   = "GOVC_TEST_BIN"
)

// binary is one program the tests run: built at most once per process.
type binary struct {
	env  string // names a prebuilt binary
	name string // file name in the build directory
	pkg  string // import path of its main package
	once sync.Once
	path string
	err  error
}

var (
	carpvm = &binary{env: CarpvmEnv, name: "carpvm", pkg: "github.com/carpvm/carpvm/cmd/carpvm"}
	govc   = &binary{env: GovcEnv, name: "govc", pkg: "github.com/carpvm/carpvm/vsphere/sim/govc"}
)

// buildDir is the process's build directory, set by Main.
var (
	buildDirMu sync.Mutex
	buildDir   string
)

// Main runs m's tests with a build directory for the binaries and removes
// it afterwards; it returns the exit code for os.Exit.
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "carpvm-testbin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "testbin: build directory: %v\n", err)
		return 1
	}
	buildDirMu.Lock()
	buildDir = dir
	buildDirMu.Unlock()
	defer os.RemoveAll(dir)
	return m.Run()
}

// Carpvm is the path of a carpvm binary built from this checkout
// (cmd/carpvm, no ldflags); the test fails when it cannot be had.
func Carpvm(t testing.TB) string {
	t.Helper()
	return carpvm.get(t)
}

// Govc is the path of govmomi's govc (vsphere/sim/govc); the test fails
// when it cannot be had.
func Govc(t testing.TB) string {
	t.Helper()
	return govc.get(t)
}

func (b *binary) get(t testing.TB) string {
	t.Helper()
	b.once.Do(b.resolve)
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func (b *binary) resolve() {
	buildDirMu.Lock()
	dir := buildDir
	buildDirMu.Unlock()
	b.path, b.err = b.find(dir)
}

// find is the binary named by b.env, else one built into dir.
func (b *binary) find(dir string) (string, error) {
	if dir == "" {
		// Enforced even when the variable is set, so that a test that
		// passes under `make test` also passes under plain `go test`.
		return "", fmt.Errorf("testbin: %s wanted, but the package's TestMain does not run its tests through testbin.Main", b.name)
	}
	if p := os.Getenv(b.env); p != "" {
		return prebuilt(b.env, p)
	}
	path := filepath.Join(dir, b.name)
	if out, err := exec.Command("go", "build", "-o", path, b.pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("testbin: go build %s: %v\n%s", b.pkg, err, out)
	}
	// Written back, as an installed binary is: the kernel cannot reclaim
	// the pages of a file still dirty in the page cache, which the memory
	// figures of the node's benchmarks would show.
	if f, err := os.Open(path); err == nil {
		f.Sync()
		f.Close()
	}
	return path, nil
}

// prebuilt checks the path p that the variable env names.
func prebuilt(env, p string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("testbin: %s=%q: want an absolute path (tests run in their package's directory)", env, p)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("testbin: %s: %v", env, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("testbin: %s=%q: want an executable file", env, p)
	}
	return p, nil
}
