package main

import (
	"fmt"
	"io"

	"github.com/carpvm/carpvm/internal/table"

	"github.com/carpvm/carpvm/preflight"
)

// writePreflightTable prints the findings as a table, then a summary line.
func writePreflightTable(w io.Writer, tty bool, rep preflight.Report) error {
	rows := make([][]string, len(rep.Findings))
	for i, f := range rep.Findings {
		actual := f.Actual
		if f.Status != preflight.Pass && f.Expected != "" {
			actual += " (want " + f.Expected + ")"
		}
		rows[i] = []string{string(f.Check), string(f.Status), dash(f.Network), f.Object, actual, dash(f.Fix)}
	}
	if err := table.Write(w, tty, []string{"CHECK", "STATUS", "NETWORK", "OBJECT", "ACTUAL", "FIX"}, rows); err != nil {
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
