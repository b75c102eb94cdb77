package main

import (
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/internal/jsondoc"
)

// outputFlag registers -o/--output (table or json) on cmd, with its
// completion.
func outputFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "output", "o", "table", "output format: table or json")
	completeFlag(cmd, "output", completeValues(outputFormats))
}

// checkOutput refuses an -o value that is not one of outputFormats.
func checkOutput(what, output string) error {
	if !slices.Contains(outputFormats(), output) {
		return usageError("%s: -o %q: want table or json", what, output)
	}
	return nil
}

// writeDocument prints v as the -o json document of kind (jsondoc: the
// format field, [] for empty lists, no zero timestamps).
func writeDocument(w io.Writer, kind string, v any) error {
	return jsondoc.Write(w, kind, v)
}

// writeFleetDocument prints pairs, one document of kind per pair, as a
// fleet's -o json document: {"format": "carpvm.fleet/v1", "pairs": [...]},
// each pair's document as the command prints it for one pair.
func writeFleetDocument(w io.Writer, kind string, pairs any) error {
	return jsondoc.WriteFleet(w, kind, pairs)
}
