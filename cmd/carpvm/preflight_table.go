package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/preflight"
)

// preflightDrop is the order in which the findings table leaves columns
// out on a terminal too narrow for them even wrapped: FIX first (the
// longest, and in -o json), then NETWORK (the object names it mostly).
var preflightDrop = []string{"FIX", "NETWORK"}

// checkColumn is the column of check IDs, never split inside an ID on a
// terminal, so that one copied from the table works in --check.
var checkColumn = []string{"CHECK"}

// mentionsCheck says whether word holds a check ID ("(vmac.shared),"), a
// word no table splits, so that an ID a fix names can be copied too.
func mentionsCheck(word string) bool {
	return slices.ContainsFunc(preflight.Checks(), func(c preflight.Check) bool { return strings.Contains(word, string(c)) })
}

// writePreflightTable prints the findings as a table, then a summary line;
// on a terminal (t) the table fits its width.
func writePreflightTable(w io.Writer, t table.Terminal, rep preflight.Report) error {
	rows := make([][]string, len(rep.Findings))
	for i, f := range rep.Findings {
		actual := f.Actual
		if f.Status != preflight.Pass && f.Expected != "" {
			actual += " (want " + f.Expected + ")"
		}
		rows[i] = []string{string(f.Check), string(f.Status), table.Dash(f.Network), f.Object, actual, table.Dash(f.Fix)}
	}
	if err := table.Write(w, t, table.Layout{Drop: preflightDrop, Whole: checkColumn, Keep: mentionsCheck}, []string{"CHECK", "STATUS", "NETWORK", "OBJECT", "ACTUAL", "FIX"}, rows); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s: %d pass, %d warn, %d fail\n", rep.Target, rep.Summary.Pass, rep.Summary.Warn, rep.Summary.Fail)
	return err
}
