package failover

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/internal/transition"
)

func routerName(src netip.Addr) string {
	return map[netip.Addr]string{r2: "router-002", r3: "router-003"}[src]
}

func mark(ms int, name string) Event { return Event{At: at(ms), Kind: KindMark, Mark: name} }

type planned struct {
	At                   time.Duration // since t0
	Router, From, To, By string
}

func plannedOf(ts []transition.Transition) []planned {
	out := []planned{}
	for _, t := range ts {
		out = append(out, planned{t.Time.Sub(t0), t.Router, t.From, t.To, t.Planned})
	}
	return out
}

// A stun drill's stream (stunStream: router-002 stunned at 1 s, router-003
// master at 4.4 s, router-002 back at 10.01 s): its four transitions are
// the drill's own, those of the trigger and of the thaw. A flap of
// router-003 before the trigger, and a second one-way change of one
// router within a step, are not.
func TestDrillTransitionsPlanned(t *testing.T) {
	ev := append(stunStream(), mark(1000, MarkTrigger), mark(10000, MarkThaw), mark(14500, MarkRestore)).sorted()
	got := plannedOf(drillTransitions(ev, "intranought", TriggerStun, "router-002", routerName))
	want := []planned{
		{4 * time.Second, "router-002", "MASTER", "INIT", "drill stun: trigger"},
		{4400 * time.Millisecond, "router-003", "BACKUP", "MASTER", "drill stun: trigger"},
		{10010 * time.Millisecond, "router-002", "INIT", "MASTER", "drill stun: thaw"},
		{10010 * time.Millisecond, "router-003", "MASTER", "BACKUP", "drill stun: thaw"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}

	// router-003 advertises once before the trigger (a master fighting
	// over the group: unplanned), and router-002 falls silent again after
	// its return and comes back (not the thaw's way, then a second change
	// its way: a flap).
	ev = append(stunStream().adverts(r3, 500, 500, 1).adverts(r2, 18000, 19000, 1000),
		mark(1000, MarkTrigger), mark(10000, MarkThaw)).sorted()
	var unplanned []planned
	for _, p := range plannedOf(drillTransitions(ev, "intranought", TriggerStun, "router-002", routerName)) {
		if p.By == "" {
			unplanned = append(unplanned, p)
		}
	}
	want = []planned{
		{500 * time.Millisecond, "router-003", "BACKUP", "MASTER", ""},
		{500 * time.Millisecond, "router-002", "MASTER", "BACKUP", ""},
		// the fight goes on into the trigger's step, the wrong way
		{1 * time.Second, "router-002", "BACKUP", "MASTER", ""},
		{3890625 * time.Microsecond, "router-003", "MASTER", "BACKUP", ""},
		{17010 * time.Millisecond, "router-002", "MASTER", "INIT", ""},
		{18 * time.Second, "router-002", "INIT", "MASTER", ""},
	}
	if diff := cmp.Diff(want, unplanned); diff != "" {
		t.Errorf("unplanned transitions (-want +got):\n%s", diff)
	}
}

// historyEnv is a fakeEnv whose platform keeps a history: a snapshot task
// around the trigger, or an error.
type historyEnv struct {
	*fakeEnv
	err   error
	asked []transition.Transition
}

func (e *historyEnv) ExplainTransitions(_ context.Context, ts []transition.Transition) ([]explain.Explained, error) {
	e.asked = ts
	if e.err != nil {
		return nil, e.err
	}
	return explain.Explain(explain.Pair{Name: "pair"}, ts, nil, explain.DefaultWindow).Transitions, nil
}

// A witnessed drill records its transitions in its report, all of them the
// drill's own; on an Env with a history they are explained by it, and a
// history that cannot be read is said and the transitions kept.
func TestDrillRecordsTransitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		w.mu.Lock()
		w.advertTicks = 1
		w.mu.Unlock()
		env := &historyEnv{fakeEnv: &fakeEnv{w: w}}
		reps, err := Run(context.Background(), Options{Env: env, Trigger: TriggerStun, Stun: time.Second, Networks: []Network{fastNet()}, MaxTakeover: time.Second, MaxBlackout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r := reps[0]
		if len(r.Transitions) == 0 || len(env.asked) != len(r.Transitions) {
			t.Fatalf("transitions %+v, asked %d; want the drill's, explained by the Env", r.Transitions, len(env.asked))
		}
		for _, x := range r.Transitions {
			if !strings.HasPrefix(x.Planned, "drill stun: ") || x.Verdict != explain.VerdictPlanned || x.Network != fastNet().Name {
				t.Errorf("transition %+v: want planned by the drill, on %s", x, fastNet().Name)
			}
		}
		if len(r.Unplanned()) != 0 || r.HistoryError != "" {
			t.Errorf("unplanned %+v, history error %q; want none", r.Unplanned(), r.HistoryError)
		}

		env.err = errors.New("vsphere: history: connection refused")
		reps, err = Run(context.Background(), Options{Env: env, Trigger: TriggerStun, Stun: time.Second, Networks: []Network{fastNet()}, MaxTakeover: time.Second, MaxBlackout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if r := reps[0]; !strings.Contains(r.HistoryError, "connection refused") || len(r.Transitions) == 0 {
			t.Errorf("history error %q, %d transitions; want the error said and the transitions kept", r.HistoryError, len(r.Transitions))
		}
	})
}

// Every trigger's drill in the synthetic world: its transitions are all
// the drill's own.
func TestDrillTransitionsAllPlanned(t *testing.T) {
	for _, trig := range []Trigger{TriggerPowerOff, TriggerNICDisconnect, TriggerDemote, TriggerStun} {
		t.Run(string(trig), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld()
				defer w.close()
				w.mu.Lock()
				w.advertTicks = 1
				w.mu.Unlock()
				reps, err := Run(context.Background(), Options{Env: &fakeEnv{w: w}, Trigger: trig, Stun: time.Second, Networks: []Network{fastNet()}})
				if err != nil {
					t.Fatal(err)
				}
				r := reps[0]
				if len(r.Transitions) < 2 {
					t.Errorf("%d transitions, want the takeover's two at least", len(r.Transitions))
				}
				for _, x := range r.Unplanned() {
					t.Errorf("unplanned: %s %s->%s at %s (%s)", x.Router, x.From, x.To, x.Time.Sub(r.Started), x.Reason)
				}
			})
		})
	}
}
