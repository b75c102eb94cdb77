package sim_test

import (
	"context"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// TestGovcHasEveryCommand: vsphere/sim/govc imports every package of
// govmomi's cli/ that registers a command, so that the docs' govc about,
// ls, vm.info and events (and every other command) are there.
func TestGovcHasEveryCommand(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "github.com/vmware/govmomi/cli").Output()
	if err != nil {
		t.Fatalf("go list govmomi/cli: %v", err)
	}
	cliDir := strings.TrimSpace(string(out))
	var want []string
	err = filepath.WalkDir(cliDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "cli.Register(") {
			rel, _ := filepath.Rel(filepath.Dir(cliDir), filepath.Dir(path))
			pkg := "github.com/vmware/govmomi/" + filepath.ToSlash(rel)
			if !slices.Contains(want, pkg) {
				want = append(want, pkg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("govc", "main.go"), nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		got = append(got, p)
	}
	if len(want) < 100 {
		t.Fatalf("found only %d command packages under %s", len(want), cliDir)
	}
	for _, pkg := range want {
		if !slices.Contains(got, pkg) {
			t.Errorf("vsphere/sim/govc/main.go lacks %s", pkg)
		}
	}
}

// TestGovcFromCredentialsFile: the whole govc, given nothing but the
// credentials file the simulator writes (`set -a; . FILE; set +a`, no
// GOVC_INSECURE), verifies the server against GOVC_TLS_CA_CERTS and runs
// the commands the docs show, answered at the API version govc takes from
// vimServiceVersions.xml (6.5). With the file's former GOVC_THUMBPRINT,
// which govc does not read, it refused the certificate.
func TestGovcFromCredentialsFile(t *testing.T) {
	srv, err := sim.Start(context.Background(), sim.Default(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	creds := filepath.Join(t.TempDir(), "sim.env")
	if err := srv.WriteCredentials(creds); err != nil {
		t.Fatal(err)
	}
	govc := testbin.Govc(t)
	dc := "/" + srv.Topology.Datacenter
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"about"}, "API version:  6.5"},
		{[]string{"ls", dc + "/vm"}, dc + "/vm/router-002"},
		{[]string{"vm.info", "-r", "router-002"}, "IntraNought, Public"},
		{[]string{"host.info", "esxi-01"}, "Name:              esxi-01"},
		{[]string{"events", dc + "/vm/router-002"}, "router-002"},
		{[]string{"host.portgroup.info", "-host", "esxi-01"}, "Virtual switch:          vSwitch1"},
	} {
		cmd := exec.Command("bash", "-c", `set -a; . "$1"; set +a; shift; exec "$@"`, "-", creds, govc)
		cmd.Args = append(cmd.Args, tt.args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("govc %s from the credentials file: %v, want %q in:\n%s", strings.Join(tt.args, " "), err, tt.want, out)
		}
		if strings.Contains(string(out), srv.Password.Reveal()) {
			t.Errorf("govc %s printed the password", strings.Join(tt.args, " "))
		}
	}
}
