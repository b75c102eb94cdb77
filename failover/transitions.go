package failover

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/internal/transition"
)

// TransitionExplainer is an Env whose platform keeps a history that
// explains a drill's transitions (VSphereEnv: vCenter's events and tasks,
// through explain's core). A drill on another Env explains them with no
// history: its own are planned, any other has no cause.
type TransitionExplainer interface {
	ExplainTransitions(ctx context.Context, ts []transition.Transition) ([]explain.Explained, error)
}

// steps are the drill's marks that begin a step of its own, by name in
// planned transitions ("drill stun: thaw").
var steps = []string{MarkTrigger, MarkHeal, MarkThaw, MarkRestore}

// drillTransitions are the state changes the drill's witness saw on
// network, by carp/witness's rules over its adverts (routers named by
// name), each marked planned when it is the drill's own (markPlanned; old
// is the master the drill failed).
func drillTransitions(events []Event, network string, trigger Trigger, old string, name func(netip.Addr) string) []transition.Transition {
	routers := map[netip.Addr]string{}
	w := witness.New(witness.Options{Network: network, Routers: routers})
	var end time.Time
	var counter uint64
	for _, e := range events {
		end = e.At
		if e.Kind != KindAdvert {
			continue
		}
		if _, ok := routers[e.Src]; !ok {
			if n := name(e.Src); n != "" {
				routers[e.Src] = n
			}
		}
		// The witness takes frames; the observer kept the advert's
		// fields. A fresh counter per advert, as on the wire, so that no
		// two read as one advert delivered twice.
		counter++
		p, err := (&carp.Advert{VHID: e.VHID, AdvBase: e.AdvBase, AdvSkew: e.AdvSkew, Counter: counter}).MarshalBinary()
		if err != nil {
			continue
		}
		w.Observe(e.At, carp.Frame{SrcMAC: e.MAC, Src: e.Src, Dst: carp.GroupV4, TTL: 255, Payload: p})
	}
	ts := w.Transitions(end)
	markPlanned(ts, events, trigger, old)
	return ts
}

// markPlanned sets Planned on the drill's own transitions of ts (in time
// order). Each step runs from its mark to the next: the trigger moves the
// old master out of MASTER and another router in (a partition leaves the
// old master advertising too); the heal, the thaw and the restore move them
// back. In each step a router's first change the step's way, per group,
// is the drill's; a change before the trigger, one the other way, or a
// second one (a flap) is not.
func markPlanned(ts []transition.Transition, events []Event, trigger Trigger, old string) {
	type mark struct {
		name string
		at   time.Time
	}
	var marks []mark
	for _, e := range events {
		if e.Kind == KindMark && slices.Contains(steps, e.Mark) {
			marks = append(marks, mark{e.Mark, e.At})
		}
	}
	type change struct {
		step   int
		router string
		vhid   int
		up     bool
	}
	seen := map[change]bool{}
	for i := range ts {
		step := -1
		for j, m := range marks {
			if !m.at.After(ts[i].Time) {
				step = j
			}
		}
		if step < 0 {
			continue // before the trigger: not the drill's
		}
		c := change{step, ts[i].Router, ts[i].VHID, ts[i].To == "MASTER"}
		ours := c.up == (c.router == old) // back to the baseline: the old master up, the others down
		if marks[step].name == MarkTrigger {
			ours = !ours || (trigger == TriggerPartition && c.router == old)
		}
		if !ours || seen[c] {
			continue
		}
		seen[c] = true
		ts[i].Planned = fmt.Sprintf("drill %s: %s", trigger, marks[step].name)
	}
}

// explainTransitions explains ts through the Env's history when it keeps
// one, else with none. A history that cannot be read is said in the
// report (HistoryError), and the transitions are explained without it.
func (d *drill) explainTransitions(ctx context.Context, rep *Report, ts []transition.Transition) {
	if ex, ok := d.opts.Env.(TransitionExplainer); ok && len(ts) > 0 {
		if ctx.Err() != nil {
			// Interrupted: the history is still worth one bounded read.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
			defer cancel()
		}
		xs, err := ex.ExplainTransitions(ctx, ts)
		if err == nil {
			rep.Transitions = xs
			return
		}
		rep.HistoryError = err.Error()
		d.log.Warn("cannot read the history that explains the drill's transitions", "err", err)
	}
	rep.Transitions = explain.Explain(explain.Pair{Name: rep.Pair}, ts, nil, explain.DefaultWindow).Transitions
}
