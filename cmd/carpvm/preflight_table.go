package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/carpvm/carpvm/preflight"
)

// tableColumnMax bounds a column's width on a terminal; longer cells wrap.
const tableColumnMax = 48

// writePreflightTable prints the findings as a table, then a summary line.
// On a terminal the table has borders and wraps long cells; otherwise it is
// plain: no borders, no wrapping, one finding per line, stable for scripts
// and golden files.
func writePreflightTable(w io.Writer, tty bool, rep preflight.Report) error {
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	}
	if tty {
		opts = append(opts,
			tablewriter.WithRowAutoWrap(tw.WrapNormal),
			tablewriter.WithRowMaxWidth(tableColumnMax))
	} else {
		opts = append(opts,
			tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
				Borders: tw.BorderNone,
				Symbols: tw.NewSymbols(tw.StyleNone),
				Settings: tw.Settings{
					Lines:      tw.LinesNone,
					Separators: tw.SeparatorsNone,
				},
			})),
			tablewriter.WithRowAutoWrap(tw.WrapNone),
			tablewriter.WithHeaderAutoWrap(tw.WrapNone),
			tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}))
	}
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf, opts...)
	t.Header("CHECK", "STATUS", "NETWORK", "OBJECT", "ACTUAL", "FIX")
	for _, f := range rep.Findings {
		actual := f.Actual
		if f.Status != preflight.Pass && f.Expected != "" {
			actual += " (want " + f.Expected + ")"
		}
		if err := t.Append(string(f.Check), string(f.Status), dash(f.Network), f.Object, actual, dash(f.Fix)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	// Padding leaves trailing blanks on every line: drop them.
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n%s: %d pass, %d warn, %d fail\n", rep.Target, rep.Summary.Pass, rep.Summary.Warn, rep.Summary.Fail)
	return err
}

// dash fills an empty cell so that plain output keeps its columns.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
