package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight/fix"
)

// fixPairDocument is one entry of a fleet fix's -o json list: the pair's
// fix (as preflight --fix --pair NAME prints it), or what stopped it.
type fixPairDocument struct {
	Pair string `json:"pair"`
	Exit int    `json:"exit"`
	*fixDocument
	Error string `json:"error,omitempty"`
}

// fixFleetRun fixes a fleet one pair at a time, in the configuration's
// order: each pair is checked, planned, confirmed (on a terminal, once per
// pair, unless --yes), backed up, applied and checked again on its own, as
// --pair NAME would, so a pair's failure leaves the pairs before it fixed
// (each with its own backup) and does not stop the next. Ctrl-C undoes the
// pair being written and fixes no other. The exit code is the worst
// pair's.
func fixFleetRun(ctx context.Context, o *fixOptions, opts fix.Options, pairs []*config.Config) error {
	for flag, set := range map[string]bool{"--backup": o.Backup != "", "--save-facts": o.SaveFacts != ""} {
		if set {
			return usageError("preflight --fix %s names one file; the configuration holds %d pairs (%s): --pair NAME, or leave %s out (each pair's backup gets its own file)",
				flag, len(pairs), strings.Join(config.Names(pairs), ", "), flag)
		}
	}
	table := o.Output != "json"
	worst := exitOK
	docs := make([]fixPairDocument, 0, len(pairs))
	var failed []string
	for i, cfg := range pairs {
		name := cfg.Pair.Name
		if table {
			if i > 0 {
				fmt.Fprintln(o.IO.Out)
			}
			fmt.Fprintf(o.IO.Out, "== pair %s ==\n", name)
		}
		var doc *fixDocument
		var err error
		if ctx.Err() != nil {
			err = withExit(exitNotApplied, fmt.Errorf("not fixed: interrupted"))
		} else {
			o.IO.progress("%s: fixing", name)
			doc, err = fixPair(ctx, o, opts, cfg)
		}
		if err == nil {
			err = o.verdict(doc)
			if table {
				if werr := writePreflightTable(o.IO.Out, o.IO.OutTTY, o.IO.Width, doc.Result); werr != nil {
					return fmt.Errorf("preflight --fix: write table: %w", werr)
				}
			}
		}
		code, printable := exitCodeOf(err)
		worst = max(worst, code)
		entry := fixPairDocument{Pair: name, Exit: code, fixDocument: doc}
		if printable {
			entry.Error = err.Error()
			if table {
				fmt.Fprintf(o.IO.Out, "error (exit %d): %v\n", code, err)
			}
		}
		if code != exitOK {
			failed = append(failed, fmt.Sprintf("%s (exit %d)", name, code))
		}
		docs = append(docs, entry)
	}
	if table {
		writeFleetSummary(o.IO.Out, len(pairs), "fixed and passing", "not", failed)
	} else if err := writeDocument(o.IO.Out, "preflight-fix", docs); err != nil {
		return err
	}
	if worst != exitOK {
		return silentExit(worst)
	}
	return nil
}
