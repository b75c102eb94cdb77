package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// issueRef is a citation of the project's issue tracker: a package's doc
// says what the package is and why, in words that outlive the tracker.
var issueRef = regexp.MustCompile(`(?i)\bissues? [0-9]+|#[0-9]+\b`)

// Every package of the repository has a doc.go carrying its package
// comment, and no package comment cites an issue number.
func TestPackageDocs(t *testing.T) {
	root := "../.."
	dirs := map[string]bool{} // directories with a non-test Go file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 30 {
		t.Fatalf("found %d package directories under %s, want the whole repository", len(dirs), root)
	}
	for dir := range dirs {
		path := filepath.Join(dir, "doc.go")
		src, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no doc.go (%v)", dir, err)
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		doc := f.Doc.Text()
		if want := "Package " + f.Name.Name + " "; f.Name.Name != "main" && !strings.HasPrefix(doc, want) || f.Name.Name == "main" && !strings.HasPrefix(doc, "Command ") {
			t.Errorf("%s: package comment %.40q, want it to begin %q (or \"Command \" for a command)", path, doc, want)
		}
		if m := issueRef.FindString(doc); m != "" {
			t.Errorf("%s cites %q: say what the package does and why instead", path, m)
		}
	}
}
