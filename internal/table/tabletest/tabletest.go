package tabletest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/carpvm/carpvm/internal/table"
)

// Narrow is a terminal width too narrow for any of carpvm's tables.
const Narrow = 30

// Fits renders a table (render prints it for a terminal) at Narrow and
// asserts each row is a block whose lines start with firstKey (the first
// header in lower case, and a colon), no borders; then at every width
// from 200 down to Narrow it asserts that a bordered table has no line
// wider than the terminal, and that the table is fitted below its natural
// width at least once before it turns into blocks, and that each of whole
// (IDs a user copies back) is on one line of it, never split.
func Fits(t testing.TB, name string, render func(table.Terminal) string, firstKey string, whole ...string) {
	t.Helper()
	narrow := render(table.Terminal{TTY: true, Width: Narrow})
	if strings.Contains(narrow, "│") || !hasLinePrefix(narrow, firstKey+" ") {
		t.Errorf("%s at width %d: want key: value blocks (a line starting %q, no borders):\n%s", name, Narrow, firstKey, narrow)
	}
	natural := Widest(render(table.Terminal{TTY: true}))
	fitted := false
	for width := 200; width >= Narrow; width-- {
		out := render(table.Terminal{TTY: true, Width: width})
		if !strings.Contains(out, "│") {
			continue
		}
		if got := Widest(out); got > width {
			t.Fatalf("%s at width %d: a line of %d columns:\n%s", name, width, got, out)
		}
		for _, word := range whole {
			if !strings.Contains(out, word) {
				t.Fatalf("%s at width %d: %q is split:\n%s", name, width, word, out)
			}
		}
		fitted = fitted || width < natural
	}
	if !fitted {
		t.Errorf("%s: never printed as a table narrower than its natural %d columns", name, natural)
	}
}

// Widest is the width of the longest line of s, in runes.
func Widest(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

func hasLinePrefix(s, prefix string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
