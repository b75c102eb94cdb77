package main

import (
	"context"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/workflow"
)

// simTopology checks the --sim flags and returns the topology to start,
// "" without --sim.
func (o *drillOptions) simTopology(trigger failover.Trigger) (string, error) {
	if !o.Sim {
		if o.Topology != "default" {
			return "", usageError("drill --topology needs --sim")
		}
		return "", nil
	}
	if !slices.Contains(workflow.Topologies(), o.Topology) {
		return "", usageError("drill --topology %q: want one of %s", o.Topology, strings.Join(workflow.Topologies(), ", "))
	}
	if err := failover.CheckUnwitnessed(trigger); err != nil {
		return "", usageError("drill --sim: %v", err)
	}
	for flag, set := range map[string]bool{"--interface": o.Interface != "", "--command": o.Command != "", "--metrics-file": o.MetricsFile != "", "--history": o.History != ""} {
		if set {
			return "", usageError("drill --sim: %s does not apply: the simulator has no CARP segment to watch, and a drill that measured no takeover is not recorded", flag)
		}
	}
	return o.Topology, nil
}

// simDrillRun runs a --sim drill (failover.RunUnwitnessed) and prints its
// reports; nothing is recorded and no lock is taken (the simulator is
// this process's own).
func simDrillRun(ctx context.Context, app *App, o *drillOptions, t *drillTarget, fopts failover.Options) error {
	if err := outputDir(o.Report); err != nil {
		return usageError("drill: --report %s: %v", o.Report, err)
	}
	app.IO.progress("drilling %s (%s): trigger %s on %d network(s), no witness", t.env.Pair(), t.env.Target(), fopts.Trigger, len(t.nets))
	reps, runErr := failover.RunUnwitnessed(ctx, fopts)
	if len(reps) > 0 {
		sim := *o
		sim.NoHistory, sim.MetricsFile = true, ""
		if err := drillOutputs(app, &sim, "", reps); err != nil {
			return err
		}
	}
	return drillVerdict(runErr, reps)
}
