package statepaths

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stateLookup is code finding the state directory for itself: reading the
// XDG variables Dir and DrillLocks read, or joining ~/.local/state.
var stateLookup = regexp.MustCompile(`etenv\("(XDG_STATE_HOME|XDG_RUNTIME_DIR)"\)|"\.local",\s*"state"`)

// The state paths are computed here and nowhere else (one place for each
// formula): no other file of the repository looks the state directory up.
func TestOnlyStatepathsLooksUpTheStateDirectory(t *testing.T) {
	root := "../.."
	hereAbs, _ := filepath.Abs(".")
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if abs, _ := filepath.Abs(filepath.Dir(path)); abs == hereAbs {
			return nil
		}
		seen++
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := stateLookup.Find(src); m != nil {
			t.Errorf("%s looks up the state directory itself (%s): ask internal/statepaths", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("read %d Go files under %s, want the whole repository", seen, root)
	}
}
