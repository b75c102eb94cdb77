package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/workflow"
)

// fixPairDocument is one entry of the pairs of a fleet fix's -o json document: the pair's
// fix (as preflight --fix --pair NAME prints it), or what stopped it.
type fixPairDocument struct {
	Pair string `json:"pair"`
	Exit int    `json:"exit"`
	*fixDocument
	Error string `json:"error,omitempty"`
}

// fixFleetRun fixes a fleet one pair at a time (workflow.FixFleet), each
// as --pair NAME would: checked, planned, confirmed (on a terminal, once
// per pair, unless --yes), backed up, applied and checked again on its
// own. The exit code is the worst pair's.
func fixFleetRun(ctx context.Context, o *fixOptions, opts fix.Options, pairs []*config.Config) error {
	for flag, set := range map[string]bool{"--backup": o.Backup != "", "--save-facts": o.SaveFacts != ""} {
		if set {
			return usageError("preflight --fix %s names one file; the configuration holds %d pairs (%s): --pair NAME, or leave %s out (each pair's backup gets its own file)",
				flag, len(pairs), strings.Join(config.Names(pairs), ", "), flag)
		}
	}
	json := o.Output == "json"
	out := newFleetOutput(o.IO.Out, json)
	docs := make([]fixPairDocument, 0, len(pairs))
	_, err := workflow.FixFleet(ctx, pairs, workflow.FixFleetOptions{
		Start: out.section,
		Fix: func(ctx context.Context, cfg *config.Config) (*workflow.FixResult, error) {
			o.IO.progress("%s: fixing", cfg.Pair.Name)
			return fixPair(ctx, o, opts, cfg)
		},
		Done: func(pf workflow.PairFix) error {
			err := pf.Err
			if err == nil {
				err = o.verdict(pf.Result)
				if !json {
					if werr := writePreflightTable(o.IO.Out, o.IO.Terminal(), pf.Result.Result); werr != nil {
						return fmt.Errorf("preflight --fix: write table: %w", werr)
					}
				}
			}
			code, message := out.outcome(pf.Pair, err)
			docs = append(docs, fixPairDocument{Pair: pf.Pair, Exit: code, fixDocument: newFixDocument(pf.Result), Error: message})
			return nil
		},
	})
	if err != nil {
		return err
	}
	if json {
		if err := writeFleetDocument(o.IO.Out, "preflight-fix", docs); err != nil {
			return err
		}
	}
	out.tally(len(pairs), "fixed and passing", "not")
	return out.exit()
}
