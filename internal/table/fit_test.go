package table

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	fitHeader = []string{"CHECK", "STATUS", "NETWORK", "OBJECT", "ACTUAL", "FIX"}
	fitRows   = [][]string{
		{"security.promiscuous", "fail", "intranought", "portgroup IntraNought on esxi-01", "reject (want accept)", "set the portgroup's promiscuous mode to accept, or run carpvm preflight --fix"},
		{"spof.same_host", "fail", "-", "router-002, router-003", "both on esxi-01", "run the routers on two hosts (DRS anti-affinity rule)"},
	}
)

func widest(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

// On a terminal the table fits the width given, wrapping long cells,
// every column kept while they fit at their minimum.
func TestFitWrapsToTheWidth(t *testing.T) {
	for _, width := range []int{200, 120, 100} {
		var b bytes.Buffer
		if err := Write(&b, Terminal{TTY: true, Width: width}, Layout{Drop: []string{"FIX", "NETWORK"}}, fitHeader, fitRows); err != nil {
			t.Fatal(err)
		}
		if got := widest(b.String()); got > width {
			t.Errorf("width %d: a line of %d columns:\n%s", width, got, b.String())
		}
		for _, h := range fitHeader {
			if !strings.Contains(b.String(), h) {
				t.Errorf("width %d: column %s dropped although the table fits wrapped:\n%s", width, h, b.String())
			}
		}
	}
}

// Too narrow to wrap every column, the columns of Drop go first, in
// order, and a line says which were left out.
func TestFitDropsInTheStatedOrder(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, Terminal{TTY: true, Width: 60}, Layout{Drop: []string{"FIX", "NETWORK"}}, fitHeader, fitRows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "│ FIX") || !strings.Contains(out, "not shown: FIX") {
		t.Errorf("FIX should be dropped and said so:\n%s", out)
	}
	if got := widest(out); got > 60 {
		t.Errorf("a line of %d columns at width 60:\n%s", got, out)
	}
	b.Reset()
	if err := Write(&b, Terminal{TTY: true, Width: 56}, Layout{Drop: []string{"FIX", "NETWORK"}}, fitHeader, fitRows); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "NETWORK │") || !strings.Contains(out, "not shown: FIX, NETWORK") {
		t.Errorf("at 56 columns FIX then NETWORK should be dropped:\n%s", out)
	}
}

// Piped, the width is ignored: plain columns, one row per line.
func TestFitIgnoredWhenPlain(t *testing.T) {
	var fitted, plain bytes.Buffer
	if err := Write(&fitted, Terminal{TTY: false, Width: 40}, Layout{Drop: []string{"FIX"}}, fitHeader, fitRows); err != nil {
		t.Fatal(err)
	}
	if err := Write(&plain, Terminal{}, Layout{}, fitHeader, fitRows); err != nil {
		t.Fatal(err)
	}
	if fitted.String() != plain.String() || strings.Count(plain.String(), "\n") != 3 {
		t.Errorf("plain output changed by the width:\n%s\nwant:\n%s", fitted.String(), plain.String())
	}
}

// wholeRows hold the longest check ID, wider than minColumn.
var wholeRows = append([][]string{
	{"host.reverse_path_promisc", "warn", "-", "host esxi-01", "promiscuous frames looped back", "set Net.ReversePathFwdCheckPromisc to 1"},
}, fitRows...)

// A column of Whole is never split inside a word, at any width the table
// fits: a check ID copied from it works in --check.
func TestFitKeepsWholeColumnsWhole(t *testing.T) {
	l := Layout{Drop: []string{"FIX", "NETWORK"}, Whole: []string{"CHECK"}}
	least := narrowest(l, fitHeader, wholeRows)
	for width := least; width <= 200; width++ {
		var b bytes.Buffer
		if err := Write(&b, Terminal{TTY: true, Width: width}, l, fitHeader, wholeRows); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "│") {
			t.Fatalf("width %d (the narrowest is %d): no table:\n%s", width, least, b.String())
		}
		for _, r := range wholeRows {
			if !strings.Contains(b.String(), "│ "+r[0]+" ") {
				t.Errorf("width %d: check ID %s split:\n%s", width, r[0], b.String())
			}
		}
		if got := widest(b.String()); got > width {
			t.Errorf("width %d: a line of %d columns:\n%s", width, got, b.String())
		}
	}
}

// Narrower than the narrowest table (droppable columns left out, Whole
// columns whole), each row is a block of "key: value" lines, every column
// in it, values wrapped at blanks, blocks apart by a blank line.
func TestFitFallsBackToKeyValueBlocks(t *testing.T) {
	l := Layout{Drop: []string{"FIX", "NETWORK"}, Whole: []string{"CHECK"}}
	least := narrowest(l, fitHeader, wholeRows)
	// CHECK whole (25) + STATUS (6) + OBJECT, ACTUAL at minColumn, and the
	// borders: 3 a column and 1.
	if want := 25 + 6 + 12 + 12 + 3*4 + 1; least != want {
		t.Fatalf("narrowest = %d, want %d", least, want)
	}
	for _, width := range []int{least - 1, 40, 30} {
		var b bytes.Buffer
		if err := Write(&b, Terminal{TTY: true, Width: width}, l, fitHeader, wholeRows); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.ContainsAny(out, "│┌") || strings.Contains(out, "not shown") {
			t.Errorf("width %d: a table, want key: value blocks:\n%s", width, out)
		}
		blocks := strings.Split(strings.TrimSuffix(out, "\n"), "\n\n")
		if len(blocks) != len(wholeRows) {
			t.Fatalf("width %d: %d blocks, want %d:\n%s", width, len(blocks), len(wholeRows), out)
		}
		for i, block := range blocks {
			lines := strings.Split(block, "\n")
			if want := "check:   " + wholeRows[i][0]; lines[0] != want {
				t.Errorf("width %d: block %d starts %q, want %q", width, i, lines[0], want)
			}
			words := strings.Join(strings.Fields(block), " ")
			for c, h := range fitHeader {
				if kv := strings.ToLower(h) + ": " + wholeRows[i][c]; !strings.Contains(words, kv) {
					t.Errorf("width %d: block %d lacks %q:\n%s", width, i, kv, block)
				}
			}
			for _, line := range lines {
				if n := utf8.RuneCountInString(line); n > width && len(strings.Fields(line)) > 2 {
					t.Errorf("width %d: line of %d columns not wrapped: %q", width, n, line)
				}
			}
		}
	}
}

// Words Keep keeps are never split in any column, which is then at least
// as wide as the longest of them.
func TestFitKeepsTheWordsKeepNames(t *testing.T) {
	rows := [][]string{{"spof.same_host", "fail", "see host.reverse_path_promisc first, then run the routers on two hosts"}}
	header := []string{"CHECK", "STATUS", "FIX"}
	keep := func(w string) bool { return strings.Contains(w, ".") }
	for width := 40; width <= 120; width++ {
		var b bytes.Buffer
		if err := Write(&b, Terminal{TTY: true, Width: width}, Layout{Keep: keep}, header, rows); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"spof.same_host", "host.reverse_path_promisc"} {
			if !strings.Contains(b.String(), id) {
				t.Errorf("width %d: %s split:\n%s", width, id, b.String())
			}
		}
	}
}
