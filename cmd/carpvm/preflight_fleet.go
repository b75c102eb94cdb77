package main

import (
	"context"
	"fmt"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/workflow"
)

// preflightPairDocument is one entry of a fleet's -o json list: the pair's
// report, or the error that stopped it.
type preflightPairDocument struct {
	Pair string `json:"pair"`
	preflight.Report
	Error string `json:"error,omitempty"`
}

// preflightFleetRun checks every pair of a fleet (workflow.CheckFleet)
// and prints one report, a section per pair; the exit code is the worst
// pair's.
func preflightFleetRun(ctx context.Context, opts *preflightOptions, pairs []*config.Config, simTopology string, checks []preflight.Check) error {
	if opts.SaveFacts != "" {
		return usageError("preflight --save-facts saves one pair's facts; the configuration holds %d pairs: --pair NAME", len(pairs))
	}
	reps := workflow.CheckFleet(ctx, pairs, workflow.FleetOptions{Topology: simTopology, Progress: opts.IO.progress})
	worst := exitOK
	docs := make([]preflightPairDocument, len(reps))
	for i := range reps {
		r := &reps[i]
		r.Report = r.Report.Only(checks...)
		code := pairExit(r, opts.Strict)
		worst = max(worst, code)
		docs[i] = preflightPairDocument{Pair: r.Pair, Report: r.Report}
		if r.Err != nil {
			docs[i].Error = r.Err.Error()
		}
	}
	switch opts.Output {
	case "json":
		if err := writeDocument(opts.IO.Out, "preflight", docs); err != nil {
			return fmt.Errorf("preflight: write json: %w", err)
		}
	default:
		for i, r := range reps {
			if i > 0 {
				fmt.Fprintln(opts.IO.Out)
			}
			fmt.Fprintf(opts.IO.Out, "== pair %s ==\n", r.Pair)
			if r.Err != nil {
				fmt.Fprintf(opts.IO.Out, "error (exit %d): %v\n", pairExit(&r, opts.Strict), r.Err)
				continue
			}
			if err := writePreflightTable(opts.IO.Out, opts.IO.OutTTY, opts.IO.Width, r.Report); err != nil {
				return fmt.Errorf("preflight: write table: %w", err)
			}
		}
	}
	if worst != exitOK {
		return silentExit(worst)
	}
	return nil
}

// pairExit is one pair's exit code, as preflight on that pair alone would
// exit: its error as preflight's vSphere step reports it (a configuration
// error 2, vSphere unreachable or refused 3), else 1 for a failed check.
// The highest of the pairs' codes is the command's: the exit codes' order
// (architecture: Exit codes) ranks "could not check" above "a check
// failed".
func pairExit(r *workflow.PairReport, strict bool) int {
	if r.Err != nil {
		code, _ := exitCodeOf(r.Err)
		return code
	}
	if r.Report.Failed(strict) {
		return exitCheckFailed
	}
	return exitOK
}
