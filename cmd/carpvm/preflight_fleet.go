package main

import (
	"context"
	"fmt"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/workflow"
)

// preflightPairDocument is one entry of the pairs of a fleet's -o json document: the pair's
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
	json := opts.Output == "json"
	out := newFleetOutput(opts.IO.Out, json)
	docs := make([]preflightPairDocument, len(reps))
	for i := range reps {
		r := &reps[i]
		r.Report = r.Report.Only(checks...)
		out.section(r.Pair)
		if r.Err == nil && !json {
			if err := writePreflightTable(opts.IO.Out, opts.IO.Terminal(), r.Report); err != nil {
				return fmt.Errorf("preflight: write table: %w", err)
			}
		}
		_, message := out.outcome(r.Pair, pairCheckError(r, opts.Strict))
		docs[i] = preflightPairDocument{Pair: r.Pair, Report: r.Report, Error: message}
	}
	if json {
		if err := writeFleetDocument(opts.IO.Out, "preflight", docs); err != nil {
			return fmt.Errorf("preflight: write json: %w", err)
		}
	}
	return out.exit()
}

// pairCheckError is one pair's end as preflight on that pair alone would
// end: the error that stopped it (a configuration error 2, vSphere
// unreachable or refused 3), else 1 for a failed check.
func pairCheckError(r *workflow.PairReport, strict bool) error {
	if r.Err != nil {
		return r.Err
	}
	if r.Report.Failed(strict) {
		return silentExit(exitCheckFailed)
	}
	return nil
}
