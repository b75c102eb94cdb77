package table

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// ColumnMax bounds a column's width on a terminal; longer cells wrap.
const ColumnMax = 48

// Terminal is where a table goes: TTY says whether to a terminal, Width
// is the terminal's width in columns (0 when unknown: long cells wrap at
// ColumnMax).
type Terminal struct {
	TTY   bool
	Width int
}

// Write renders header and rows to w for t, laid out by l. On a terminal
// of known width, cells are wrapped so that the table fits, and when even
// that cannot fit, the columns of l.Drop are left out in order and a last
// line names them. Narrower than the narrowest table (every column of
// l.Drop out, the others at their least: a header, 12 columns of a long
// cell, a Whole column's longest word; 3 columns a column for the
// borders, and 1), each row is printed as a block of "key: value" lines
// instead. Off a terminal l and the width are ignored: plain columns stay
// stable for scripts whatever the width.
func Write(w io.Writer, t Terminal, l Layout, header []string, rows [][]string) error {
	var dropped []string
	fitted := t.TTY && t.Width > 0
	if fitted {
		fitHeader, fitRows, left, ok := fit(l, t.Width, header, rows)
		if !ok {
			var b strings.Builder
			writeBlocks(&b, t.Width, header, rows)
			_, err := io.WriteString(w, b.String())
			return err
		}
		header, rows, dropped = fitHeader, fitRows, left
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	}
	switch {
	case fitted:
		// fit wrapped the cells to their columns already.
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapNone), tablewriter.WithHeaderAutoWrap(tw.WrapNone))
	case t.TTY:
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithRowMaxWidth(ColumnMax))
	default:
		opts = append(opts,
			tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
				Borders:  tw.BorderNone,
				Symbols:  tw.NewSymbols(tw.StyleNone),
				Settings: tw.Settings{Lines: tw.LinesNone, Separators: tw.SeparatorsNone},
			})),
			tablewriter.WithRowAutoWrap(tw.WrapNone),
			tablewriter.WithHeaderAutoWrap(tw.WrapNone),
			tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}))
	}
	var buf bytes.Buffer
	tbl := tablewriter.NewTable(&buf, opts...)
	tbl.Header(cells(header)...)
	for _, r := range rows {
		if err := tbl.Append(cells(r)...); err != nil {
			return err
		}
	}
	if err := tbl.Render(); err != nil {
		return err
	}
	// Plain padding leaves trailing blanks on every line: drop them.
	var out strings.Builder
	for line := range strings.Lines(buf.String()) {
		out.WriteString(strings.TrimRight(line, " \n") + "\n")
	}
	if len(dropped) > 0 {
		fmt.Fprintf(&out, "(not shown: %s; widen or use -o json)\n", strings.Join(dropped, ", "))
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// cells hands tablewriter one argument per cell, so that a one-cell row
// is not taken for a slice of cells.
func cells(s []string) []any {
	out := make([]any, len(s))
	for i, c := range s {
		out[i] = c
	}
	return out
}
