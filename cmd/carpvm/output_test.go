package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/preflight"
)

// runIO runs carpvm with streams shaped by io (terminal flags, width).
func runIO(t *testing.T, io IOStreams, env map[string]string, args ...string) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	io.In, io.Out, io.ErrOut = strings.NewReader(""), &out, &errOut
	code := run(context.Background(), args, io, func(k string) string { return env[k] })
	return runResult{code, out.String(), errOut.String()}
}

// Progress lines go to stderr only when stderr is a terminal or with
// --progress, never to stdout.
func TestProgressOnlyOnTerminalOrFlag(t *testing.T) {
	const line = "connecting to https://127.0.0.1:"
	for _, tc := range []struct {
		name string
		io   IOStreams
		args []string
		want bool
	}{
		{"piped", IOStreams{}, nil, false},
		{"stderr a terminal", IOStreams{ErrTTY: true}, nil, true},
		{"--progress", IOStreams{}, []string{"--progress"}, true},
	} {
		got := runIO(t, tc.io, nil, append([]string{"preflight", "--sim", "-o", "json"}, tc.args...)...)
		if strings.Contains(got.stderr, line) != tc.want || strings.Contains(got.stdout, line) {
			t.Errorf("%s: progress on stderr %v (want %v), stdout clean %v:\n%s", tc.name, strings.Contains(got.stderr, line), tc.want, !strings.Contains(got.stdout, line), got.stderr)
		}
		if !json.Valid([]byte(got.stdout)) {
			t.Errorf("%s: stdout is not one JSON document", tc.name)
		}
	}
}

// On a terminal the preflight table fits its width; piped, the width is
// not applied (the plain table of the golden file).
func TestPreflightTableFitsTheTerminal(t *testing.T) {
	for _, width := range []int{160, 100} {
		got := runIO(t, IOStreams{OutTTY: true, Width: width}, nil, "preflight", "--sim")
		for _, l := range strings.Split(got.stdout, "\n") {
			if n := utf8.RuneCountInString(l); n > width {
				t.Fatalf("width %d: a line of %d columns:\n%s", width, n, got.stdout)
			}
		}
		if !strings.Contains(got.stdout, "FIX") {
			t.Errorf("width %d: the FIX column was dropped although wrapping fits it", width)
		}
	}
	narrow := runIO(t, IOStreams{OutTTY: true, Width: 80}, nil, "preflight", "--sim")
	if !strings.Contains(narrow.stdout, "not shown: FIX, NETWORK") {
		t.Errorf("at 80 columns FIX and NETWORK should be dropped, and said so:\n%s", narrow.stdout)
	}
	blocks := runIO(t, IOStreams{OutTTY: true, Width: 50}, nil, "preflight", "--sim")
	if strings.Contains(blocks.stdout, "│") || !strings.Contains(blocks.stdout, "\ncheck:   vm.found\nstatus:  pass\n") {
		t.Errorf("at 50 columns each finding should be a block of key: value lines:\n%s", blocks.stdout)
	}
	piped := runIO(t, IOStreams{Width: 50}, nil, "preflight", "--sim")
	golden(t, "preflight-sim.golden", piped.stdout)
}

func TestTerminalWidth(t *testing.T) {
	size := func(w int, err error) func() (int, error) { return func() (int, error) { return w, err } }
	for _, tc := range []struct {
		columns string
		size    func() (int, error)
		want    int
	}{
		{"", size(132, nil), 132},
		{"90", size(132, nil), 90},
		{"wide", size(132, nil), 132},
		{"0", size(0, errors.New("not a terminal")), 0},
	} {
		if got := terminalWidth(func(string) string { return tc.columns }, tc.size); got != tc.want {
			t.Errorf("COLUMNS=%q: %d, want %d", tc.columns, got, tc.want)
		}
	}
}

// Every -o json document comes from the one exporter: a "format" field
// first, [] for empty lists, no zero timestamps.
func TestJSONDocumentsShareTheExporter(t *testing.T) {
	hist := t.TempDir()
	for kind, args := range map[string][]string{
		"preflight":     {"preflight", "--sim", "-o", "json"},
		"drill-history": {"drill", "history", "--history", hist, "-o", "json"},
		"drill-plan":    {"drill", "--sim", "--dry-run", "--trigger", "power-off", "-o", "json"},
		"drill":         {"drill", "--sim", "--network", "intranought", "--trigger", "power-off", "--force", "-o", "json"},
	} {
		got := runIO(t, IOStreams{}, nil, args...)
		if !strings.Contains(got.stdout, `"format": "carpvm.`+kind+`/v1"`) {
			t.Errorf("%s: no format field:\n%s", kind, got.stdout)
		}
		if strings.Contains(nullsMeasured(t, got.stdout), "null") || strings.Contains(got.stdout, "0001-01-01") {
			t.Errorf("%s: null (but for a field not measured) or a zero timestamp in the document:\n%s", kind, got.stdout)
		}
	}
}

// -o takes table or json on every command that has it.
func TestOutputFlagValues(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "-o", "yaml"}, {"lab", "up", "-o", "yaml"}, {"preflight", "rollback", "b.json", "-o", "yaml"},
		{"preflight", "--sim", "-o", "yaml"}, {"drill", "--sim", "-o", "yaml"},
	} {
		if got := runIO(t, IOStreams{}, nil, args...); got.code != exitUsage || !strings.Contains(got.stderr, `-o "yaml": want table or json`) {
			t.Errorf("%v: exit %d, want 2 naming the value:\n%s", args, got.code, got.stderr)
		}
	}
}

// At any terminal width, every check ID of the findings is whole on a
// line of the table (or of its key: value blocks), so that it can be
// copied back into --check.
func TestPreflightTableNeverSplitsCheckIDs(t *testing.T) {
	js := runIO(t, IOStreams{}, nil, "preflight", "--sim", "-o", "json")
	var doc struct {
		Findings []struct{ Check string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil || len(doc.Findings) == 0 {
		t.Fatalf("preflight -o json: %v, %d findings", err, len(doc.Findings))
	}
	word := regexp.MustCompile(`[a-z_]+\.[a-z_.]+`)
	for width := 30; width <= 160; width += 5 {
		got := runIO(t, IOStreams{OutTTY: true, Width: width}, nil, "preflight", "--sim")
		ids := map[string]bool{}
		for _, id := range word.FindAllString(got.stdout, -1) {
			ids[id] = true
		}
		for _, f := range doc.Findings {
			if !ids[f.Check] {
				t.Errorf("width %d: check ID %s is not whole in the table:\n%s", width, f.Check, got.stdout)
			}
		}
	}
}

// nullsMeasured is doc with the members its "unavailable" lists (the
// figures a drill did not measure, null by contract) removed, so that any
// null left is a defect.
func nullsMeasured(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				strip(e)
			}
		case map[string]any:
			if names, ok := x["unavailable"].([]any); ok {
				for _, n := range names {
					if x[n.(string)] != nil {
						t.Errorf("%s is not measured but is %v, want null", n, x[n.(string)])
					}
					delete(x, n.(string))
				}
			}
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	b, _ := json.Marshal(v)
	return string(b)
}

// A check ID named inside a cell's text (a fix saying "see
// host.reverse_path_promisc first") is never split either: at every
// terminal width, for the findings of several topologies, no cell line
// ends in part of a check ID.
func TestPreflightTableNeverSplitsCheckIDsInText(t *testing.T) {
	for _, topo := range []string{"default", "teamed", "distributed-mac-learning", "every-step"} {
		js := runIO(t, IOStreams{}, nil, "preflight", "--sim", "--topology", topo, "-o", "json")
		var rep preflight.Report
		if err := json.Unmarshal([]byte(js.stdout), &rep); err != nil || len(rep.Findings) == 0 {
			t.Fatalf("%s: preflight -o json: %v, %d findings", topo, err, len(rep.Findings))
		}
		for width := 20; width <= 200; width++ {
			var b bytes.Buffer
			if err := writePreflightTable(&b, table.Terminal{TTY: true, Width: width}, rep); err != nil {
				t.Fatal(err)
			}
			if part := splitCheckID(b.String()); part != "" {
				t.Fatalf("%s at width %d: a cell line ends in %q, part of a check ID:\n%s", topo, width, part, b.String())
			}
		}
	}
}

// splitCheckID is the first part of a check ID (past its dot) that ends a
// cell's line of table, "" when there is none.
func splitCheckID(table string) string {
	idRune := func(b byte) bool { return b == '.' || b == '_' || b >= 'a' && b <= 'z' }
	for _, line := range strings.Split(table, "\n") {
		for _, cell := range strings.Split(line, "│") {
			cell = strings.TrimSpace(cell)
			for _, c := range preflight.Checks() {
				id := string(c)
				for k := strings.Index(id, ".") + 1; k < len(id); k++ {
					if strings.HasSuffix(cell, id[:k]) && (len(cell) == k || !idRune(cell[len(cell)-k-1])) {
						return id[:k]
					}
				}
			}
		}
	}
	return ""
}
