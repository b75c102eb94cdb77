package table

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlainIsAlignedWithoutTrailingBlanks(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, Terminal{}, Layout{}, []string{"NAME", "STATE"}, [][]string{{"router-002", "MASTER"}, {"r3", "BACKUP"}}); err != nil {
		t.Fatal(err)
	}
	want := "NAME        STATE\nrouter-002  MASTER\nr3          BACKUP\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTerminalHasBordersAndWraps(t *testing.T) {
	var b bytes.Buffer
	long := strings.Repeat("word ", 20)
	if err := Write(&b, Terminal{TTY: true}, Layout{}, []string{"A", "B"}, [][]string{{"x", long}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if !strings.ContainsAny(lines[0], "┌+") {
		t.Errorf("no border on a terminal:\n%s", b.String())
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > ColumnMax+20 {
			t.Errorf("line of %d runes not wrapped: %q", n, l)
		}
	}
}
