package workflow

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/internal/transition"
)

// OpenDrill on the simulator wires the vSphere Env: no witness, the
// simulator as target, the check step as gate (the simulated pair fails
// it), and triggers read back through the same session.
func TestOpenDrillOnTheSimulator(t *testing.T) {
	ctx := context.Background()
	env := openSimDrill(t)
	if !env.NoWitness || env.Target() != "simulator" {
		t.Errorf("no witness %v, target %q", env.NoWitness, env.Target())
	}
	nets, err := env.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Gate(ctx, nets[0]); err == nil || !strings.Contains(err.Error(), "security.promiscuous") {
		t.Errorf("gate: %v, want the promiscuous failures named", err)
	}
	if err := env.Trigger(ctx, failover.TriggerNICDisconnect, nets[0], "router-002"); err != nil {
		t.Fatal(err)
	}
	if on, detail, err := env.Effect(ctx, failover.TriggerNICDisconnect, nets[0], "router-002"); err != nil || !on {
		t.Errorf("read back after the trigger: %v %q %v", on, detail, err)
	}
	if err := env.Undo(ctx, failover.TriggerNICDisconnect, nets[0], "router-002"); err != nil {
		t.Fatal(err)
	}
}

// The vSphere Env OpenDrill wires explains a drill's transitions from the
// session's history: a stun drill's takeover by its snapshot of the
// master's VM.
func TestOpenDrillExplainsTransitions(t *testing.T) {
	ctx := context.Background()
	env := openSimDrill(t)
	nets, err := env.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Trigger(ctx, failover.TriggerStun, nets[0], "router-002"); err != nil {
		t.Fatal(err)
	}
	takeover := transition.Transition{Time: time.Now(), Router: "router-003", Network: "intranought", VHID: 1,
		From: "BACKUP", To: "MASTER", Planned: "drill stun: trigger"}
	if err := env.Undo(ctx, failover.TriggerStun, nets[0], "router-002"); err != nil {
		t.Fatal(err)
	}
	xs, err := env.ExplainTransitions(ctx, []transition.Transition{takeover})
	if err != nil || len(xs) != 1 {
		t.Fatalf("explained %+v, %v; want the one transition", xs, err)
	}
	var kinds []string
	for _, c := range xs[0].Causes {
		if c.Router == "router-002" {
			kinds = append(kinds, string(c.Kind)+" "+c.Event)
		}
	}
	if xs[0].Verdict != explain.VerdictPlanned || !slices.Contains(kinds, "snapshot VirtualMachine.createSnapshot") {
		t.Errorf("verdict %s, router-002's causes %v; want planned, with the stun's snapshot", xs[0].Verdict, kinds)
	}
}

// A drill of a pair whose lock another drill holds is refused before
// anything is touched, as a LockError naming the pair; once the lock is
// free the pair's drill takes it.
func TestDrillPairRefusedWhileLocked(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Simulator()
	env := &vsphereenv.Env{Config: cfg}
	held, err := failover.TryLock(dir, env.Pair())
	if err != nil {
		t.Fatal(err)
	}
	opts := DrillPairOptions{LockDir: dir, Progress: func(string, ...any) {}}
	fopts := failover.Options{Env: env, Trigger: failover.TriggerPowerOff}
	reps, err := DrillPair(context.Background(), fopts, opts)
	var le *LockError
	if !errors.As(err, &le) || !errors.Is(err, failover.ErrLocked) || !strings.Contains(err.Error(), env.Pair()) || len(reps) != 0 {
		t.Fatalf("locked drill = %v, %v; want a LockError naming %s and no report", reps, err, env.Pair())
	}
	held.Unlock()
	// Cancelled before it starts, the drill still takes (and frees) the lock.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DrillPair(ctx, fopts, opts); errors.As(err, &le) {
		t.Fatalf("drill after the lock was freed: %v", err)
	}
	again, err := failover.TryLock(dir, env.Pair())
	if err != nil {
		t.Fatalf("the drill kept the lock: %v", err)
	}
	again.Unlock()
}

// TestWitnessed: one witness listens on one segment, so it checks the
// ownership of a drill of one network only.
func TestWitnessed(t *testing.T) {
	one := []failover.Network{{Name: "intranought"}}
	if got := Witnessed(one); len(got) != 1 || got[0].Name != "intranought" {
		t.Errorf("one network: %v, want it", got)
	}
	if got := Witnessed(append(one, failover.Network{Name: "ovh"})); got != nil {
		t.Errorf("two networks: %v, want none", got)
	}
}

// openSimDrill opens a drill of the default simulated topology, closed
// when the test ends.
func openSimDrill(t *testing.T) *vsphereenv.Env {
	t.Helper()
	cfg := config.Simulator()
	env := &vsphereenv.Env{Config: cfg}
	closeEnv, err := OpenDrill(context.Background(), cfg, "default", env, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeEnv)
	return env
}
