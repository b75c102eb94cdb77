package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the example outputs in docs/*.md (make docs)")

// An example block in docs/*.md: the marker names the command, the fenced
// block after it holds what the command prints on stdout now.
//
//	<!-- example: carpvm render freebsd --router router-002 --example -->
//	```text
//	...
//	```
//
// "example(root):" marks examples that need root (network namespaces).
var exampleBlock = regexp.MustCompile("(?s)<!-- example(\\(root\\))?: carpvm ([^\\n]*?) -->\\n```text\\n(.*?)```\\n")

// TestDocsExamples fails when an example output checked into docs/ differs
// from what the command prints now; `make docs` rewrites them.
func TestDocsExamples(t *testing.T) {
	files, err := docsFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		changed := false
		out := exampleBlock.ReplaceAllFunc(src, func(block []byte) []byte {
			m := exampleBlock.FindSubmatch(block)
			idx := exampleBlock.FindSubmatchIndex(block)
			root, args, want := len(m[1]) > 0, string(m[2]), string(m[3])
			name := filepath.Base(path) + ": carpvm " + args
			if root && os.Geteuid() != 0 {
				t.Logf("%s: skipped, needs root for network namespaces", name)
				return block
			}
			var stdout, stderr bytes.Buffer
			run(context.Background(), strings.Fields(args), IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}, func(string) string { return "" })
			got := stdout.String()
			if got != want {
				if *updateDocs {
					changed = true
					return slices.Concat(block[:idx[6]], []byte(got), block[idx[7]:])
				}
				t.Errorf("%s: the example in docs differs from the command's output now; run make docs (-docs +now):\n%s", name, cmp.Diff(want, got))
			}
			return block
		})
		if changed {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// docsFiles are the Markdown files whose examples must match: docs/*.md and
// the README.
func docsFiles() ([]string, error) {
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	return append(files, filepath.Join("..", "..", "README.md")), err
}
