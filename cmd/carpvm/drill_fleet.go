package main

import (
	"context"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/workflow"
)

// drillPairDocument is one entry of a fleet drill's -o json list: the
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
func drillFleetRun(ctx context.Context, app *App, o *drillOptions, trigger failover.Trigger, simTopology string, pairs []*config.Config) error {
	ifaces, err := witnessInterfaces(o.Interfaces, config.Names(pairs))
	if err != nil {
		return err
	}
	var plans []failover.PairPlan
	var unwitnessed []string
	netsOf := map[string][]failover.Network{}
	for _, cfg := range pairs {
		env := o.drillEnv(cfg, ifaces[cfg.Pair.Name])
		nets, err := env.Networks(o.Network)
		if err != nil {
			return usageError("drill: pair %s: %v", cfg.Pair.Name, err)
		}
		netsOf[cfg.Pair.Name] = nets
		fopts := o.failoverOptions(app.Logger(), env, nets, workflow.Witnessed(nets), trigger)
		plans = append(plans, failover.PairPlan{Pair: cfg.Pair.Name, Steps: failover.Plan(env, trigger, nets, fopts)})
		if env.Interface == "" {
			unwitnessed = append(unwitnessed, cfg.Pair.Name)
		}
	}
	if o.DryRun {
		return failover.WriteFleetPlan(app.IO.Out, app.IO.OutTTY, o.Output == "json", plans)
	}
	if len(unwitnessed) > 0 && !o.Sim && !o.NoWitness {
		return usageError("drill: on vSphere each pair's witness needs an interface of this machine on its CARP segment: --interface PAIR=IF for %s", strings.Join(unwitnessed, ", "))
	}
	histDir, err := o.prepareOutputs(app)
	if err != nil {
		return err
	}

	results := workflow.DrillFleet(ctx, pairs, workflow.DrillFleetOptions{
		FleetOptions: workflow.FleetOptions{Topology: simTopology, Progress: app.IO.progress},
		Env:          func(cfg *config.Config) *vsphereenv.Env { return o.drillEnv(cfg, ifaces[cfg.Pair.Name]) },
		Drill: func(ctx context.Context, cfg *config.Config, env *vsphereenv.Env, progress workflow.Progress) ([]failover.Report, error) {
			nets := netsOf[cfg.Pair.Name]
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
			if err := failover.WriteTable(app.IO.Out, app.IO.OutTTY, r.Reports); err != nil {
				return err
			}
		}
		code, message := out.outcome(r.Pair, pairDrillError(r))
		all = append(all, r.Reports...)
		docs[i] = drillPairDocument{Pair: r.Pair, Pass: code == exitOK, Exit: code, Reports: r.Reports, Error: message}
	}
	if json {
		if err := writeDocument(app.IO.Out, "drill", docs); err != nil {
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

// witnessInterfaces maps each pair to its witness interface from the
// --interface values: IF alone is every pair's (one pair, or a machine on
// every pair's segment), PAIR=IF one pair's and wins over IF alone.
func witnessInterfaces(values []string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	var every string
	for _, v := range values {
		pair, iface, named := strings.Cut(v, "=")
		if !named {
			pair, iface = "", v
		}
		switch {
		case iface == "":
			return nil, usageError("drill: --interface %q: want IF or PAIR=IF", v)
		case !named && every != "":
			return nil, usageError("drill: --interface %s and %s: one interface for every pair at most; name the pairs (PAIR=IF)", every, iface)
		case !named:
			every = iface
		case !slices.Contains(pairs, pair):
			return nil, usageError("drill: --interface %s: %q is not a pair of the configuration (pairs: %s)", v, pair, strings.Join(pairs, ", "))
		case out[pair] != "":
			return nil, usageError("drill: --interface: pair %s given twice (%s and %s)", pair, out[pair], iface)
		default:
			out[pair] = iface
		}
	}
	for _, p := range pairs {
		if out[p] == "" {
			out[p] = every
		}
	}
	return out, nil
}
