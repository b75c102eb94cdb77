package failover

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/jsondoc"
	"github.com/carpvm/carpvm/internal/table"
)

// Step is one step of a drill's plan, as --dry-run prints it.
type Step struct {
	Network string `json:"network"`
	Phase   string `json:"phase"`
	Action  string `json:"action"`
}

// Plan says what a drill would do, touching nothing. The master is not
// known before the baseline: the plan names the preferred one.
func Plan(env Env, t Trigger, nets []Network, opts Options) []Step {
	var steps []Step
	for _, n := range nets {
		master := ""
		if len(n.Routers) > 0 {
			master = n.Routers[0]
		}
		d := &drill{opts: opts, n: n}
		trig, undo := env.Describe(t, n, master)
		add := func(phase, format string, args ...any) {
			steps = append(steps, Step{Network: n.Name, Phase: phase, Action: fmt.Sprintf(format, args...)})
		}
		gate := "check the pair (" + env.Target() + ")"
		if opts.Force {
			gate += "; go on if it fails (--force)"
		} else {
			gate += "; stop here if it fails"
		}
		add(PhaseGate, "%s", gate)
		if opts.Unwitnessed {
			add(PhaseBaseline, "no witness on vhid %d: take %s, the preferred master, as the master; read back what the trigger changes", n.VHID, master)
			add(PhaseTrigger, "%s; read it back", trig)
			add(PhaseMeasure, "not measured (no witness): takeover, blackout, the new master and the VIP's MAC")
			add(PhaseRestore, "%s; read it back", undo)
			add(PhaseReport, "report; not appended to the history (nothing was measured)")
			continue
		}
		add(PhaseBaseline, "witness vhid %d and probe VIP %s every %s (ARP + ICMP); identify the master (expected %s), check the VIP's MAC", n.VHID, n.VIP, ProbeInterval, master)
		add(PhaseTrigger, "%s", trig)
		add(PhaseMeasure, "wait at most %s for a new master and the VIP's replies; takeover objective %s, blackout objective %s (master-down %s)",
			rounded(d.deadline()), rounded(d.maxTakeover()), rounded(d.maxBlackout()), rounded(n.MasterDown()))
		if t == TriggerStun {
			add(PhaseMeasure, "after %s: %s (the thaw); wait for one master and the VIP's replies; measure the split brain and the clients' blackout after the return", opts.Stun, undo)
			undo = "nothing more to undo"
		} else if t == TriggerPartition {
			add(PhaseMeasure, "after two adverts of split brain: %s; wait for one master", undo)
			undo = "nothing more to undo"
		} else if len(opts.Map) > 0 {
			what := fmt.Sprintf("vhid %d", n.VHID)
			if t.wholeRouter() {
				what = "every group " + master + " holds, on every network,"
			}
			add(PhaseHandover, "wait for %s to be held by the peer; measure each group's takeover", what)
		}
		want := "one master"
		if n.Preempt && master != "" {
			want = master + " master again (preempt)"
		}
		add(PhaseRestore, "%s; wait for %s", undo, want)
		if len(opts.Map) > 0 {
			add(PhaseReturn, "wait for every group on its preferred router: %s", planMap(opts.Map))
		}
		if opts.NoHistory {
			add(PhaseReport, "report; not appended to the history (--no-history)")
		} else {
			add(PhaseReport, "report; append to the history")
		}
	}
	return steps
}

// rounded is d as the plan prints it: to 10 ms (4.39s), not the exact
// fraction of an advskew/256 timer (4.390625s).
func rounded(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }

// planMap lists the map's groups and their preferred routers.
func planMap(nets []Network) string {
	var parts []string
	for _, n := range nets {
		for _, g := range n.Groups {
			parts = append(parts, fmt.Sprintf("vhid %d (%s) %s", g.VHID, n.Name, table.Dash(g.Preferred)))
		}
	}
	return strings.Join(parts, ", ")
}

// WritePlan prints a plan as a table, or JSON.
func WritePlan(w io.Writer, t table.Terminal, asJSON bool, steps []Step) error {
	if asJSON {
		return jsondoc.Write(w, "drill-plan", planDocument{DryRun: true, Plan: steps})
	}
	rows := make([][]string, len(steps))
	for i, s := range steps {
		rows[i] = []string{s.Network, s.Phase, s.Action}
	}
	if err := table.Write(w, t, table.Layout{Whole: []string{"NETWORK", "PHASE"}}, []string{"NETWORK", "PHASE", "ACTION"}, rows); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\ndry run: "+strings.TrimSpace("nothing was touched")+"\n")
	return err
}

// planDocument is the -o json output of carpvm drill --dry-run; Pair is
// set in a fleet's list, one document per pair.
type planDocument struct {
	Pair   string `json:"pair,omitempty"`
	DryRun bool   `json:"dry_run"`
	Plan   []Step `json:"plan"`
}

// PairPlan is one pair's plan in a fleet's dry run.
type PairPlan struct {
	Pair  string
	Steps []Step
}

// WriteFleetPlan prints the plans of a fleet's pairs: one table with the
// pair in its first column, or a fleet's JSON document (carpvm.fleet/v1)
// of plans, each naming its pair.
func WriteFleetPlan(w io.Writer, t table.Terminal, asJSON bool, plans []PairPlan) error {
	if asJSON {
		docs := make([]planDocument, len(plans))
		for i, p := range plans {
			docs[i] = planDocument{Pair: p.Pair, DryRun: true, Plan: p.Steps}
		}
		return jsondoc.WriteFleet(w, "drill-plan", docs)
	}
	var rows [][]string
	for _, p := range plans {
		for _, s := range p.Steps {
			rows = append(rows, []string{p.Pair, s.Network, s.Phase, s.Action})
		}
	}
	if err := table.Write(w, t, table.Layout{Whole: []string{"PAIR", "NETWORK", "PHASE"}}, []string{"PAIR", "NETWORK", "PHASE", "ACTION"}, rows); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\ndry run: nothing was touched\n")
	return err
}
