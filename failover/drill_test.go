package failover

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func phaseNames(r Report) []string {
	var out []string
	for _, p := range r.Phases {
		out = append(out, p.Name)
	}
	return out
}

func TestDrillPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		env := &fakeEnv{w: w}
		reps, err := Run(context.Background(), Options{Env: env, Trigger: TriggerPowerOff, Networks: []Network{fastNet()}, MaxTakeover: time.Second, MaxBlackout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r := reps[0]
		if !r.Pass || !r.Restored || !r.MACRelearned {
			t.Fatalf("report = %+v, want a pass", r)
		}
		if diff := cmp.Diff([]string{"gate", "trigger router-002", "undo router-002"}, env.calls); diff != "" {
			t.Errorf("env calls (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{PhaseGate, PhaseBaseline, PhaseTrigger, PhaseMeasure, "relearn", PhaseRestore, PhaseReport}, phaseNames(r)); diff != "" {
			t.Errorf("phases (-want +got):\n%s", diff)
		}
		if r.OldMaster != "router-002" || r.NewMaster != "router-003" {
			t.Errorf("masters %s -> %s", r.OldMaster, r.NewMaster)
		}
		// In fake time (synctest) a run is exactly reproducible, and these are
		// the figures of the world's model: the failure seen at the next 10 ms
		// tick and taken over 150 ms later, replies every 10 ms (a 160 ms
		// gap), adverts every 50 ms (200 ms from the old master's last to the
		// new master's first).
		if r.TakeoverS != 0.2 || r.BlackoutS != 0.16 {
			t.Errorf("takeover %.3f s, blackout %.3f s; want 0.200 s and 0.160 s", r.TakeoverS, r.BlackoutS)
		}
		if r.DurationS < r.TakeoverS {
			t.Errorf("duration %.3f s is shorter than the takeover %.3f s it contains", r.DurationS, r.TakeoverS)
		}
		if r.GARPs != 1 || r.VIPMACAfter != vmac.String() {
			t.Errorf("GARPs %d, VIP MAC %s", r.GARPs, r.VIPMACAfter)
		}
		if w.current() != "router-002" {
			t.Errorf("master after the drill = %s, want router-002 back", w.current())
		}
	})
}

func TestDrillNoNewMasterRestoresAndFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		w.never = true
		env := &fakeEnv{w: w}
		start := time.Now()
		reps, err := Run(context.Background(), Options{Env: env, Trigger: TriggerNICDisconnect, Networks: []Network{fastNet()}, Deadline: 400 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		r := reps[0]
		if r.Pass {
			t.Fatal("a drill without a new master passed")
		}
		m, _ := r.Phase(PhaseMeasure)
		if m.OK || !strings.Contains(m.Detail, "no new master within the 400ms deadline; restoring at once") {
			t.Errorf("measure phase = %+v", m)
		}
		if env.calls[len(env.calls)-1] != "undo router-002" || !r.Restored {
			t.Errorf("calls %v, restored %t: want the trigger undone and the pair restored", env.calls, r.Restored)
		}
		// It gave up at the deadline, not later (generous bound: no timing claim).
		if time.Since(start) > 10*time.Second {
			t.Errorf("drill took %v", time.Since(start))
		}
	})
}

func TestDrillCancelledRestores(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		w.never = true
		ctx, cancel := context.WithCancel(context.Background())
		env := &fakeEnv{w: w, onTrig: func() { time.AfterFunc(100*time.Millisecond, cancel) }}
		reps, err := Run(ctx, Options{Env: env, Trigger: TriggerPowerOff, Networks: []Network{fastNet(), fastNet()}, Deadline: time.Minute})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
		if len(reps) != 1 {
			t.Fatalf("%d reports; the second network must not start after the interrupt", len(reps))
		}
		r := reps[0]
		if r.Pass || !r.Restored {
			t.Errorf("pass %t restored %t; want a restored failure", r.Pass, r.Restored)
		}
		if m, _ := r.Phase(PhaseMeasure); !strings.Contains(m.Detail, "interrupted") {
			t.Errorf("measure phase %+v", m)
		}
		if env.calls[len(env.calls)-1] != "undo router-002" {
			t.Errorf("calls %v: want the undo last", env.calls)
		}
	})
}

func TestDrillGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		env := &fakeEnv{w: w, gateErr: errors.New("preflight: security.promiscuous failed")}
		reps, err := Run(context.Background(), Options{Env: env, Trigger: TriggerDemote, Networks: []Network{fastNet()}})
		if err != nil {
			t.Fatal(err)
		}
		if reps[0].Pass || len(env.calls) != 1 || len(reps[0].Phases) != 1 {
			t.Errorf("failed gate: calls %v phases %v; want nothing touched", env.calls, reps[0].Phases)
		}
		env.calls = nil
		reps, err = Run(context.Background(), Options{Env: env, Trigger: TriggerDemote, Networks: []Network{fastNet()}, Force: true, MaxTakeover: time.Second, MaxBlackout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if !reps[0].Pass || len(env.calls) != 3 {
			t.Errorf("forced: pass %t calls %v", reps[0].Pass, env.calls)
		}
		if g, _ := reps[0].Phase(PhaseGate); g.OK || !strings.Contains(g.Detail, "--force") {
			t.Errorf("forced gate phase %+v", g)
		}
	})
}

func TestDrillObjectives(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		reps, err := Run(context.Background(), Options{Env: &fakeEnv{w: w}, Trigger: TriggerPowerOff, Networks: []Network{fastNet()}, MaxTakeover: 50 * time.Millisecond, MaxBlackout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := reps[0].Phase(PhaseReport); reps[0].Pass || !strings.Contains(p.Detail, "takeover") {
			t.Errorf("a takeover over its objective: pass %t, report %+v", reps[0].Pass, p)
		}
	})
}

func TestPlanTouchesNothing(t *testing.T) {
	w := newWorld()
	defer w.close()
	env := &fakeEnv{w: w}
	steps := Plan(env, TriggerPartition, []Network{fastNet()}, Options{})
	if len(env.calls) != 0 {
		t.Errorf("Plan called the env: %v", env.calls)
	}
	var phases []string
	for _, s := range steps {
		phases = append(phases, s.Phase)
	}
	if diff := cmp.Diff([]string{PhaseGate, PhaseBaseline, PhaseTrigger, PhaseMeasure, PhaseMeasure, PhaseRestore, PhaseReport}, phases); diff != "" {
		t.Errorf("plan phases (-want +got):\n%s", diff)
	}
	if !strings.Contains(steps[2].Action, "fail router-002") {
		t.Errorf("trigger step %q", steps[2].Action)
	}
}

func TestParseTrigger(t *testing.T) {
	for _, tr := range Triggers() {
		if got, err := ParseTrigger(string(tr)); err != nil || got != tr {
			t.Errorf("ParseTrigger(%s) = %v, %v", tr, got, err)
		}
	}
	if _, err := ParseTrigger("reboot"); err == nil || !strings.Contains(err.Error(), "nic-disconnect") {
		t.Errorf("ParseTrigger(reboot) = %v", err)
	}
	// advbase 0: OpenBSD's sub-second rule, 3*advskew/256 (carp.MasterDown).
	if d := fastNet().MasterDown(); d != 75*time.Second/256 {
		t.Errorf("MasterDown(0, 25) = %v, want 3*25/256 s", d)
	}
	n := Network{AdvBase: 1, BackupSkew: 100}
	if d := n.MasterDown(); d != 3*time.Second+100*time.Second/256 {
		t.Errorf("MasterDown(1, 100) = %v", d)
	}
}
