package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runCmd(os.Args[2:])
	case "slowest":
		err = slowestCmd(os.Args[2:])
	case "bench":
		err = benchCmd(os.Args[2:])
	default:
		usage()
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "testtimes:", err)
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: testtimes run -events FILE -- go test -json ARGS...\n       testtimes slowest [-n N] FILE...\n       testtimes bench FILE")
	os.Exit(2)
}

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	eventsPath := fs.String("events", "", "append the JSON events to this file")
	fs.Parse(args)
	argv := fs.Args()
	if *eventsPath == "" || len(argv) == 0 {
		usage()
	}
	events, err := os.OpenFile(*eventsPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer events.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	copyErr := echo(os.Stdout, events, stdout)
	if err := cmd.Wait(); err != nil {
		return err
	}
	return copyErr
}

// echo copies the events from r to events and writes to out what go test
// prints without -json: a failed test's output when it fails, package
// summaries and build errors, a passed or skipped test's not at all.
func echo(out, events io.Writer, r io.Reader) error {
	held := map[string][]string{} // package + " " + test: its output so far
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if _, err := fmt.Fprintf(events, "%s\n", line); err != nil {
			return err
		}
		var e event
		if json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(out, "%s\n", line) // not an event: pass it on
			continue
		}
		key := e.Package + " " + e.Test
		switch {
		case e.Action == "build-output":
			io.WriteString(out, e.Output)
		case e.Action == "output":
			held[key] = append(held[key], e.Output)
		case e.Test == "" && (e.Action == "pass" || e.Action == "skip"):
			// Only the summary line: "ok  pkg 1.2s" or "?  pkg [no test files]".
			for _, l := range held[key] {
				if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "? ") {
					io.WriteString(out, l)
				}
			}
			delete(held, key)
		case e.Test != "" && e.Action == "fail":
			io.WriteString(out, strings.Join(held[key], ""))
			delete(held, key)
		case e.Test != "" && (e.Action == "pass" || e.Action == "skip"):
			delete(held, key)
		case e.Test == "" && e.Action == "fail":
			// A test binary that died (panic, timeout) may leave tests
			// without an end: show what they printed, then the package's
			// own lines.
			for k, lines := range held {
				if k != key && strings.HasPrefix(k, e.Package+" ") {
					io.WriteString(out, strings.Join(lines, ""))
					delete(held, k)
				}
			}
			io.WriteString(out, strings.Join(held[key], ""))
			delete(held, key)
		}
	}
	return sc.Err()
}

// timing is how long one test or package took.
type timing struct {
	name    string
	elapsed float64
	failed  bool
}

func slowestCmd(args []string) error {
	fs := flag.NewFlagSet("slowest", flag.ExitOnError)
	n := fs.Int("n", 10, "how many to print")
	fs.Parse(args)
	var tests, pkgs []timing
	for _, path := range fs.Args() {
		t, p, err := readTimings(path)
		if err != nil {
			return err
		}
		tests, pkgs = append(tests, t...), append(pkgs, p...)
	}
	print := func(title string, ts []timing, n int) {
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].elapsed > ts[j].elapsed })
		fmt.Printf("%s:\n", title)
		for _, t := range ts[:min(n, len(ts))] {
			mark := ""
			if t.failed {
				mark = "  (FAIL)"
			}
			fmt.Printf("  %7.1fs  %s%s\n", t.elapsed, t.name, mark)
		}
	}
	print(fmt.Sprintf("%d slowest tests", *n), tests, *n)
	print(fmt.Sprintf("%d slowest packages", *n/2), pkgs, *n/2)
	return nil
}

// readTimings are the top-level tests' and the packages' times in the
// event file at path.
func readTimings(path string) (tests, pkgs []timing, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Action != "pass" && e.Action != "fail" {
			continue
		}
		t := timing{elapsed: e.Elapsed, failed: e.Action == "fail"}
		switch {
		case e.Test == "":
			t.name = e.Package
			pkgs = append(pkgs, t)
		case !strings.Contains(e.Test, "/"):
			t.name = e.Package + " " + e.Test
			tests = append(tests, t)
		}
	}
	return tests, pkgs, sc.Err()
}
