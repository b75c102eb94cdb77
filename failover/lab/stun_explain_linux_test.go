package lab_test

import (
	"context"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/workflow"
)

// snapshotStunEnv is the lab whose routers are also VMs of a simulated
// vCenter: a stun freezes the lab's router as the simulator takes the
// stun's memory snapshot of its VM (what ESXi's stun is), and the drill's
// transitions are explained from the simulator's history, the vSphere
// path's own (workflow.ExplainWith).
type snapshotStunEnv struct {
	*lab.Env
	be  workflow.Backend
	cfg *config.Config
}

func (e *snapshotStunEnv) Trigger(ctx context.Context, t failover.Trigger, n failover.Network, router string) error {
	if t == failover.TriggerStun {
		if err := e.be.SnapshotMemory(ctx, router, vsphereenv.StunSnapshot); err != nil {
			return err
		}
	}
	return e.Env.Trigger(ctx, t, n, router)
}

func (e *snapshotStunEnv) Undo(ctx context.Context, t failover.Trigger, n failover.Network, router string) error {
	err := e.Env.Undo(ctx, t, n, router)
	if t == failover.TriggerStun {
		if rerr := e.be.RemoveSnapshot(ctx, router, vsphereenv.StunSnapshot); err == nil {
			err = rerr
		}
	}
	return err
}

func (e *snapshotStunEnv) ExplainTransitions(ctx context.Context, ts []transition.Transition) ([]explain.Explained, error) {
	rep, err := workflow.ExplainWith(ctx, e.be.(workflow.Historian), e.cfg, ts, explain.DefaultWindow, func(string, ...any) {})
	return rep.Transitions, err
}

// A stun drill's transitions: in the lab, every one is the drill's own
// (planned, its step named); on the vSphere simulator's path the takeover
// is explained by the stun's snapshot task of router-002's VM.
func TestStunDrillTransitionsExplained(t *testing.T) {
	t.Parallel()
	l := lab.UpTestLab(t, lab.PeerCarpvm)
	nets, err := l.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := config.Simulator() // its routers' VMs are named as the lab's routers
	be, err := workflow.Open(ctx, cfg, "default", func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(ctx)

	for _, tc := range []struct {
		name string
		env  failover.Env
	}{
		{"lab", &lab.Env{Lab: l}},
		{"vSphere simulator", &snapshotStunEnv{Env: &lab.Env{Lab: l}, be: be, cfg: cfg}},
	} {
		reps, err := failover.Run(ctx, failover.Options{Env: tc.env, Trigger: failover.TriggerStun, Stun: 5 * time.Second, Networks: nets})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		r := reps[0]
		if !r.Pass || r.HistoryError != "" {
			t.Fatalf("%s: pass %v, history error %q: %+v\n%s", tc.name, r.Pass, r.HistoryError, r.Phases, l.LogTail(20))
		}
		var takeover *explain.Explained
		for i, x := range r.Transitions {
			t.Logf("%s: %s %s %s->%s (%s) %s [%s] %s", tc.name, x.Time.Format("15:04:05.000"), x.Router, x.From, x.To, x.Reason, x.Verdict, x.Planned, explain.CausesText(x.Causes))
			if x.Verdict != explain.VerdictPlanned {
				t.Errorf("%s: transition %s %s->%s is %s, want the drill's own (planned)", tc.name, x.Router, x.From, x.To, x.Verdict)
			}
			if x.Router == lab.Router2 && x.To == "MASTER" && x.Planned == "drill stun: trigger" {
				takeover = &r.Transitions[i]
			}
		}
		if takeover == nil {
			t.Fatalf("%s: no planned takeover by %s among %d transitions", tc.name, lab.Router2, len(r.Transitions))
		}
		snapshot := false
		for _, c := range takeover.Causes {
			snapshot = snapshot || (c.Kind == explain.KindSnapshot && c.Router == lab.Router1)
		}
		if want := tc.name != "lab"; snapshot != want {
			t.Errorf("%s: takeover's causes %s; a snapshot of %s's VM among them: %v, want %v", tc.name, explain.CausesText(takeover.Causes), lab.Router1, snapshot, want)
		}
	}
}
