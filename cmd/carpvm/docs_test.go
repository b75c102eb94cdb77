package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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

// example is one example block of a docs file.
type example struct {
	args      string
	want      string
	wantStart int // byte offsets of want in the file
	wantEnd   int
	root      bool
	got       string // what the command printed
	ran       bool   // got is set
}

// docsFile is a docs file and its examples, in order.
type docsFile struct {
	path     string
	src      []byte
	examples []*example
}

// TestDocsExamples fails when an example output checked into the docs
// differs from what the command prints now; `make docs` rewrites them.
// One subtest per example, so that each one's time shows. The plain
// examples run in order, in this process; the root ones in labs of their
// own (rootLab), each lab in parallel with the others.
func TestDocsExamples(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	docs, err := readDocs()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		for _, ex := range d.examples {
			if ex.root {
				continue
			}
			t.Run(filepath.Base(d.path)+": "+ex.args, func(t *testing.T) {
				ex.got, ex.ran = runInProcess(ex.args), true
				ex.check(t, ex.want == ex.got)
			})
		}
	}
	t.Run("root", func(t *testing.T) {
		reason := rootUnavailable()
		for _, seg := range rootSegments(docs) {
			t.Run(fmt.Sprintf("%s lab %d", filepath.Base(seg.path), seg.n), func(t *testing.T) {
				if reason != "" {
					t.Skipf("skipped, %s", reason)
				}
				t.Parallel()
				l := newRootLab(t)
				for _, ex := range seg.examples {
					t.Run(ex.args, func(t *testing.T) {
						ex.got, ex.ran = l.run(t, ex.args), true
						ex.check(t, masked(ex.want) == masked(ex.got))
					})
				}
			})
		}
	})
	if *updateDocs {
		for _, d := range docs {
			if err := d.rewrite(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// check reports a differing example, unless make docs rewrites it.
func (ex *example) check(t *testing.T, same bool) {
	t.Helper()
	if same || *updateDocs {
		return
	}
	t.Errorf("the example in the docs differs from the command's output now; run make docs (-docs +now):\n%s", cmp.Diff(ex.want, ex.got))
}

// runInProcess runs a plain example through run, as main would.
func runInProcess(args string) string {
	var stdout, stderr bytes.Buffer
	streams := IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
	cmdline, withStderr := strings.CutSuffix(args, " 2>&1")
	if withStderr {
		streams.ErrOut = &stdout
	}
	run(context.Background(), strings.Fields(strings.TrimPrefix(cmdline, "carpvm ")), streams, func(string) string { return "" })
	return stdout.String()
}

// docsFiles are the Markdown files whose examples must match: docs/*.md and
// the README, relative to the repository's root.
func docsFiles() ([]string, error) {
	files, err := filepath.Glob(filepath.Join("docs", "*.md"))
	return append(files, "README.md"), err
}

func readDocs() ([]*docsFile, error) {
	files, err := docsFiles()
	if err != nil {
		return nil, err
	}
	var docs []*docsFile
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		d := &docsFile{path: path, src: src}
		for _, idx := range exampleBlock.FindAllSubmatchIndex(src, -1) {
			d.examples = append(d.examples, &example{
				root: idx[3] > idx[2], args: string(src[idx[4]:idx[5]]),
				want: string(src[idx[6]:idx[7]]), wantStart: idx[6], wantEnd: idx[7],
			})
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// rewrite writes the file back with each changed example's output.
func (d *docsFile) rewrite() error {
	var out []byte
	last, changed := 0, false
	for _, ex := range d.examples {
		same := ex.got == ex.want || ex.root && masked(ex.got) == masked(ex.want)
		if !ex.ran || same {
			continue
		}
		out = slices.Concat(out, d.src[last:ex.wantStart], []byte(ex.got))
		last, changed = ex.wantEnd, true
	}
	if !changed {
		return nil
	}
	return os.WriteFile(d.path, slices.Concat(out, d.src[last:]), 0o644)
}

// rootSegment is a run of a file's root examples that drive one lab: from
// a `carpvm lab up` to the next one, or to and including a `carpvm lab
// down`, or to the file's end.
type rootSegment struct {
	path     string
	n        int // the file's first, second... segment
	examples []*example
}

func rootSegments(docs []*docsFile) []rootSegment {
	var segs []rootSegment
	for _, d := range docs {
		var cur []*example
		n := 0
		flush := func() {
			if len(cur) > 0 {
				n++
				segs = append(segs, rootSegment{d.path, n, cur})
				cur = nil
			}
		}
		for _, ex := range d.examples {
			if !ex.root {
				continue
			}
			// A lab up while one is up replaces it: a new segment. What
			// came before the first (a preflight saving the facts the
			// lab is made from) stays with it.
			if isLabUp(ex) && slices.ContainsFunc(cur, isLabUp) {
				flush()
			}
			cur = append(cur, ex)
			if strings.HasPrefix(ex.args, "carpvm lab down") {
				flush()
			}
		}
		flush()
	}
	return segs
}

func isLabUp(ex *example) bool { return strings.HasPrefix(ex.args, "carpvm lab up") }

// rootUnavailable says why root examples cannot run here; "" when they can.
func rootUnavailable() string {
	if os.Geteuid() != 0 {
		return "needs root for network namespaces"
	}
	for _, tool := range []string{"unshare", "nsenter", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " not found"
		}
	}
	return ""
}

// rootLab runs one segment's examples with the real binary, as the docs
// show them (the lab's default names and paths), inside a network and
// mount namespace of its own with a fresh /run: the lab's namespaces
// (/run/netns), state (/run/carpvm-lab) and drill locks (/run/lock) are
// the segment's alone, so segments run in parallel and never touch a lab
// of this machine's. Drill history goes to a private state directory.
type rootLab struct {
	bin    string
	env    []string
	holder *exec.Cmd // keeps the namespaces alive between examples
	labUp  bool
}

func newRootLab(t *testing.T) *rootLab {
	l := &rootLab{bin: testbin.Carpvm(t)}
	l.env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(t.TempDir(), "state"))
	// The holder mounts the fresh /run, says so, and waits for its stdin
	// to close.
	l.holder = exec.Command("unshare", "--mount", "--net", "--propagation", "private", "sh", "-c",
		"mount -t tmpfs tmpfs /run && ip link set lo up && echo ready && exec cat >/dev/null")
	stdin, err := l.holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := l.holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	l.holder.Stderr = &stderr
	if err := l.holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if l.labUp {
			if out, err := l.command(l.bin, "lab", "down").CombinedOutput(); err != nil {
				t.Errorf("lab down: %v\n%s", err, out)
			}
		}
		stdin.Close()
		if err := l.holder.Wait(); err != nil {
			t.Errorf("namespace holder: %v\n%s", err, stderr.String())
		}
	})
	ready := make(chan error, 1)
	go func() {
		buf := make([]byte, len("ready\n"))
		_, err := stdout.Read(buf)
		if err == nil && string(buf) != "ready\n" {
			err = fmt.Errorf("said %q", buf)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("namespace holder: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("namespace holder not ready within 30s\n%s", stderr.String())
	}
	return l
}

// command runs name with args in the segment's namespaces.
func (l *rootLab) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--target", strconv.Itoa(l.holder.Process.Pid), "--mount", "--net", "--", name}, args...)...)
	cmd.Env = l.env
	return cmd
}

func (l *rootLab) run(t *testing.T, cmdline string) string {
	words := strings.Fields(cmdline)
	for i, w := range words {
		if w == "carpvm" {
			words[i] = l.bin
			if rest := words[i+1:]; len(rest) >= 2 && rest[0] == "lab" {
				l.labUp = rest[1] == "up" || l.labUp && rest[1] != "down"
			}
			break
		}
	}
	cmd := l.command(words[0], words[1:]...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Logf("%s: %v\n%s", cmdline, err, stderr.String())
	}
	return stdout.String()
}
