package main

import (
	"context"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/workflow"
)

// drillPairDocument is one entry of the pairs of a fleet drill's -o json document: the
// pair's reports, or the error that stopped it.
type drillPairDocument struct {
	Pair    string            `json:"pair"`
	Pass    bool              `json:"pass"`
	Exit    int               `json:"exit"`
	Reports []failover.Report `json:"reports"`
	Error   string            `json:"error,omitempty"`
}

// drillFleetRun drills every pair of a fleet (workflow.DrillFleet) and
// prints one report, a section per pair; the exit code is the worst
// pair's. Everything a pair needs (its networks, its witness interface) is
// checked for every pair before the first is drilled.
func drillFleetRun(ctx context.Context, app *App, o *drillOptions, trigger failover.Trigger, fleet *workflow.DrillFleetTarget) error {
	if o.DryRun {
		var plans []failover.PairPlan
		for _, cfg := range fleet.Pairs {
			env, nets := fleet.Env(cfg), fleet.Networks[cfg.Pair.Name]
			fopts := o.failoverOptions(app.Logger(), env, nets, workflow.Witnessed(nets), trigger)
			plans = append(plans, failover.PairPlan{Pair: cfg.Pair.Name, Steps: failover.Plan(env, trigger, nets, fopts)})
		}
		return failover.WriteFleetPlan(app.IO.Out, app.IO.Terminal(), o.Output == "json", plans)
	}
	histDir, err := o.prepareOutputs(app)
	if err != nil {
		return err
	}

	results := workflow.DrillFleet(ctx, fleet.Pairs, workflow.DrillFleetOptions{
		FleetOptions: workflow.FleetOptions{Topology: fleet.Topology, Progress: app.IO.progress},
		Env:          fleet.Env,
		Drill: func(ctx context.Context, cfg *config.Config, env *vsphereenv.Env, progress workflow.Progress) ([]failover.Report, error) {
			nets := fleet.Networks[cfg.Pair.Name]
			fopts := o.failoverOptions(app.Logger().With("pair", cfg.Pair.Name), env, nets, workflow.Witnessed(nets), trigger)
			return drillPair(ctx, app, o, fopts, histDir, progress)
		},
	})

	json := o.Output == "json"
	out := newFleetOutput(app.IO.Out, json)
	var all []failover.Report
	docs := make([]drillPairDocument, len(results))
	for i, r := range results {
		out.section(r.Pair)
		if len(r.Reports) > 0 && !json {
			if err := failover.WriteTable(app.IO.Out, app.IO.Terminal(), r.Reports); err != nil {
				return err
			}
		}
		code, message := out.outcome(r.Pair, pairDrillError(r))
		all = append(all, r.Reports...)
		docs[i] = drillPairDocument{Pair: r.Pair, Pass: code == exitOK, Exit: code, Reports: r.Reports, Error: message}
	}
	if json {
		if err := writeFleetDocument(app.IO.Out, "drill", docs); err != nil {
			return err
		}
	}
	out.tally(len(docs), "passed", "failed")
	if len(all) > 0 {
		if err := o.record(app, histDir).Record(all); err != nil {
			return err
		}
	}
	return out.exit()
}

// pairDrillError is one pair's outcome as a drill of that pair alone
// would end (exitCodeOf gives its code): a session that could not be
// opened (a workflow.BackendError: vSphere's 3, or the configuration's 2),
// else the drill's own verdict.
func pairDrillError(r workflow.PairDrill) error {
	return drillVerdict(r.Err, r.Reports)
}
