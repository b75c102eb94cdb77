package main

import (
	"fmt"
	"io"

	"github.com/carpvm/carpvm/internal/table"

	"github.com/carpvm/carpvm/preflight"
)

// preflightDrop is the order in which the findings table leaves columns
// out on a terminal too narrow for them even wrapped: FIX first (the
// longest, and in -o json), then NETWORK (the object names it mostly).
var preflightDrop = []string{"FIX", "NETWORK"}

// writePreflightTable prints the findings as a table, then a summary line;
// on a terminal of width columns (0: unknown) the table fits it.
func writePreflightTable(w io.Writer, tty bool, width int, rep preflight.Report) error {
	rows := make([][]string, len(rep.Findings))
	for i, f := range rep.Findings {
		actual := f.Actual
		if f.Status != preflight.Pass && f.Expected != "" {
			actual += " (want " + f.Expected + ")"
		}
		rows[i] = []string{string(f.Check), string(f.Status), dash(f.Network), f.Object, actual, dash(f.Fix)}
	}
	if err := table.WriteFitted(w, tty, table.Layout{Width: width, Drop: preflightDrop}, []string{"CHECK", "STATUS", "NETWORK", "OBJECT", "ACTUAL", "FIX"}, rows); err != nil {
		return err
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
