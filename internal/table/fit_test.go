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
		if err := WriteFitted(&b, true, Layout{Width: width, Drop: []string{"FIX", "NETWORK"}}, fitHeader, fitRows); err != nil {
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
	if err := WriteFitted(&b, true, Layout{Width: 60, Drop: []string{"FIX", "NETWORK"}}, fitHeader, fitRows); err != nil {
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
	if err := WriteFitted(&b, true, Layout{Width: 48, Drop: []string{"FIX", "NETWORK"}}, fitHeader, fitRows); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "NETWORK │") || !strings.Contains(out, "not shown: FIX, NETWORK") {
		t.Errorf("at 48 columns FIX then NETWORK should be dropped:\n%s", out)
	}
}

// Piped, the width is ignored: plain columns, one row per line.
func TestFitIgnoredWhenPlain(t *testing.T) {
	var fitted, plain bytes.Buffer
	if err := WriteFitted(&fitted, false, Layout{Width: 40, Drop: []string{"FIX"}}, fitHeader, fitRows); err != nil {
		t.Fatal(err)
	}
	if err := Write(&plain, false, fitHeader, fitRows); err != nil {
		t.Fatal(err)
	}
	if fitted.String() != plain.String() || strings.Count(plain.String(), "\n") != 3 {
		t.Errorf("plain output changed by the width:\n%s\nwant:\n%s", fitted.String(), plain.String())
	}
}
