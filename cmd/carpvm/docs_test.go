package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/internal/testbin"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the example outputs in docs/*.md and README.md (make docs)")

// An example block in the docs: the marker names the command, the fenced
// block after it holds what the command prints on stdout now.
//
//	<!-- example: carpvm render freebsd --router router-002 --example -->
//	```text
//	...
//	```
//
// An example ending in " 2>&1" shows stderr too, interleaved with stdout,
// for the errors an entry of the troubleshooting guide is about. Examples
// run from the repository's root, so paths in them work for a reader there.
//
// "example(root):" marks examples that need root: they run the built binary
// in the order they appear, may start with "ip netns exec NS", and drive the
// lab (carpvm lab up ... carpvm lab down). Their figures (times, pids,
// counters) differ from run to run, so they are compared with every number
// masked: the test catches changed wording, columns and structure.
var exampleBlock = regexp.MustCompile("(?s)<!-- example(\\(root\\))?: ((?:ip netns exec \\S+ )?carpvm [^\\n]*?) -->\\n```text\\n(.*?)```\\n")

var (
	digits = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
	blanks = regexp.MustCompile(`[ \t]+`)
)

// masked is a root example's output with its figures masked; blanks are
// folded because a figure's width moves the columns after it.
func masked(s string) string {
	return blanks.ReplaceAllString(digits.ReplaceAllString(s, "N"), " ")
}

// TestDocsExamples fails when an example output checked into the docs
// differs from what the command prints now; `make docs` rewrites them.
func TestDocsExamples(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	files, err := docsFiles()
	if err != nil {
		t.Fatal(err)
	}
	root := newRootExamples(t)
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		changed := false
		out := exampleBlock.ReplaceAllFunc(src, func(block []byte) []byte {
			idx := exampleBlock.FindSubmatchIndex(block)
			needsRoot := idx[3] > idx[2]
			args := string(block[idx[4]:idx[5]])
			want := string(block[idx[6]:idx[7]])
			result := block
			// One subtest per example, so that each one's time shows;
			// they run in order (the root examples drive one lab).
			t.Run(filepath.Base(path)+": "+args, func(t *testing.T) {
				var got string
				same := func(a, b string) bool { return a == b }
				if needsRoot {
					if reason := root.unavailable(); reason != "" {
						t.Skipf("skipped, %s", reason)
					}
					got = root.run(t, args)
					same = func(a, b string) bool { return masked(a) == masked(b) }
				} else {
					var stdout, stderr bytes.Buffer
					streams := IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
					cmdline, withStderr := strings.CutSuffix(args, " 2>&1")
					if withStderr {
						streams.ErrOut = &stdout
					}
					run(context.Background(), strings.Fields(strings.TrimPrefix(cmdline, "carpvm ")), streams, func(string) string { return "" })
					got = stdout.String()
				}
				if same(want, got) {
					return
				}
				if *updateDocs {
					changed = true
					result = slices.Concat(block[:idx[6]], []byte(got), block[idx[7]:])
					return
				}
				t.Errorf("the example in the docs differs from the command's output now; run make docs (-docs +now):\n%s", cmp.Diff(want, got))
			})
			return result
		})
		if changed {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// docsFiles are the Markdown files whose examples must match: docs/*.md and
// the README, relative to the repository's root.
func docsFiles() ([]string, error) {
	files, err := filepath.Glob(filepath.Join("docs", "*.md"))
	return append(files, "README.md"), err
}

// rootExamples runs the root examples with the real binary, a private
// state directory for drill history, and the lab torn down at the end.
type rootExamples struct {
	t      *testing.T
	reason string // why root examples cannot run here; "" when they can
	bin    string
	env    []string
	labUp  bool
}

func newRootExamples(t *testing.T) *rootExamples {
	r := &rootExamples{t: t}
	switch {
	case os.Geteuid() != 0:
		r.reason = "needs root for network namespaces"
	default:
		out, err := exec.Command("ip", "netns", "list").Output()
		if err != nil {
			r.reason = "ip netns list failed: " + err.Error()
		} else if strings.Contains(string(out), "cvl-") {
			// The examples use the lab's default names; never touch a lab
			// somebody brought up on this machine.
			r.reason = "a carpvm lab (cvl-*) is already up on this machine"
		}
	}
	return r
}

func (r *rootExamples) unavailable() string { return r.reason }

func (r *rootExamples) run(t *testing.T, cmdline string) string {
	if r.bin == "" {
		// The examples' state outlives each example's subtest: it is
		// the whole test's.
		dir := r.t.TempDir()
		r.bin = testbin.Carpvm(t)
		r.env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "state"))
		r.t.Cleanup(func() {
			if r.labUp {
				if out, err := exec.Command(r.bin, "lab", "down").CombinedOutput(); err != nil {
					r.t.Errorf("lab down: %v\n%s", err, out)
				}
			}
		})
	}
	words := strings.Fields(cmdline)
	for i, w := range words {
		if w == "carpvm" {
			words[i] = r.bin
			if rest := words[i+1:]; len(rest) >= 2 && rest[0] == "lab" {
				r.labUp = rest[1] == "up" || r.labUp && rest[1] != "down"
			}
			break
		}
	}
	cmd := exec.Command(words[0], words[1:]...)
	cmd.Env = r.env
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Logf("%s: %v\n%s", cmdline, err, stderr.String())
	}
	return stdout.String()
}
