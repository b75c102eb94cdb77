package failover_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/history"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// The vSphere path: triggers go to the simulator through the real
// vsphere.Session; the packets come from a synthetic segment (world) whose
// router-002 mirrors what the simulator says of its IntraNought NIC and
// power state, read back through govmomi every 20 ms. (A real run's
// witness sits on --interface; the lab tests cover the packet side.)
type simWorld struct {
	*failover.World
	s *vsphere.Session
}

// simSession starts the default simulated topology and logs in to it,
// both undone at the test's end.
func simSession(t *testing.T) (*sim.Server, *vsphere.Session) {
	t.Helper()
	ctx := context.Background()
	srv, err := sim.Start(ctx, sim.Default(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	s, err := vsphere.Open(ctx, srv.VSphereConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	return srv, s
}

func newSimWorld(t *testing.T) (*simWorld, *vsphereenv.Env) {
	t.Helper()
	ctx := context.Background()
	srv, s := simSession(t)
	sw := &simWorld{World: failover.NewWorld(), s: s}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			up := sw.routerUp(ctx, sim.Router1)
			sw.Set("router-002", up)
		}
	}()
	t.Cleanup(func() { close(stop); <-done; sw.Close() })

	cfg := config.Simulator()
	env := &vsphereenv.Env{Ops: s, Config: cfg, URL: srv.URL, OpenObserver: sw.Observe}
	return sw, env
}

// routerUp: powered on with its IntraNought NIC connected.
func (sw *simWorld) routerUp(ctx context.Context, vm string) bool {
	ps, err := sw.s.PowerState(ctx, vm)
	if err != nil || ps != "poweredOn" {
		return false
	}
	nic, err := sw.s.NIC(ctx, vm, sim.PortgroupInternal)
	return err == nil && nic.Connected
}

func simNet(t *testing.T, env *vsphereenv.Env) failover.Network {
	nets, err := env.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	n := nets[0]
	// The synthetic segment's timers: master-down 3*25/256 s = 293 ms.
	n.AdvBase, n.BackupSkew = 0, 25
	return n
}

func TestVSphereDrillDisconnectsAndReconnects(t *testing.T) {
	sw, env := newSimWorld(t)
	ctx := context.Background()
	var sawDisconnected bool
	env.CheckGate = func(context.Context, failover.Network) (string, error) { return "preflight passed (test)", nil }
	ops := &watchOps{Ops: env.Ops, after: func(op string) {
		if op == "disconnect" {
			nic, err := sw.s.NIC(ctx, sim.Router1, sim.PortgroupInternal)
			sawDisconnected = err == nil && !nic.Connected
		}
	}}
	env.Ops = ops
	reps, err := failover.Run(ctx, failover.Options{Env: env, Trigger: failover.TriggerNICDisconnect, Networks: []failover.Network{simNet(t, env)}, MaxTakeover: time.Second, MaxBlackout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := reps[0]
	if !r.Pass || !r.Restored || r.NewMaster != "router-003" {
		t.Fatalf("report %+v", r)
	}
	if !sawDisconnected {
		t.Error("the simulator never showed router-002's IntraNought NIC disconnected")
	}
	nic, err := sw.s.NIC(ctx, sim.Router1, sim.PortgroupInternal)
	if err != nil || !nic.Connected {
		t.Errorf("after the drill: %+v, %v; want reconnected", nic, err)
	}
	if pub, _ := sw.s.NIC(ctx, sim.Router1, sim.PortgroupPublic); !pub.Connected {
		t.Error("the Public NIC was touched")
	}
	if diff := strings.Join(ops.calls, ","); diff != "disconnect,connect" {
		t.Errorf("vSphere calls %s", diff)
	}
}

func TestVSphereDrillNoNewMasterRestores(t *testing.T) {
	sw, env := newSimWorld(t)
	sw.NeverTakeOver()
	ctx := context.Background()
	reps, err := failover.Run(ctx, failover.Options{Env: env, Trigger: failover.TriggerPowerOff, Networks: []failover.Network{simNet(t, env)}, Deadline: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if reps[0].Pass {
		t.Fatal("passed without a new master")
	}
	if ps, err := sw.s.PowerState(ctx, sim.Router1); err != nil || ps != "poweredOn" {
		t.Errorf("router-002 after the failed drill: %s, %v; want powered on again", ps, err)
	}
	if !reps[0].Restored {
		t.Errorf("not restored: %+v", reps[0].Phases)
	}
}

func TestVSphereDrillInterruptRestores(t *testing.T) {
	sw, env := newSimWorld(t)
	sw.NeverTakeOver()
	ctx, cancel := context.WithCancel(context.Background())
	env.Ops = &watchOps{Ops: env.Ops, after: func(op string) {
		if op == "disconnect" {
			time.AfterFunc(200*time.Millisecond, cancel) // Ctrl-C mid-measure
		}
	}}
	reps, err := failover.Run(ctx, failover.Options{Env: env, Trigger: failover.TriggerNICDisconnect, Networks: []failover.Network{simNet(t, env)}, Deadline: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("failover.Run = %v, want context.Canceled", err)
	}
	nic, nerr := sw.s.NIC(context.Background(), sim.Router1, sim.PortgroupInternal)
	if nerr != nil || !nic.Connected {
		t.Errorf("after the interrupt: %+v, %v; want the NIC reconnected", nic, nerr)
	}
	if !reps[0].Restored {
		t.Errorf("report says not restored: %+v", reps[0].Phases)
	}
}

// watchOps records the vSphere calls and runs after after each.
type watchOps struct {
	vsphereenv.Ops
	calls []string
	after func(op string)
}

func (w *watchOps) SetNICConnected(ctx context.Context, vm, pg string, connected bool) error {
	err := w.Ops.SetNICConnected(ctx, vm, pg, connected)
	op := "disconnect"
	if connected {
		op = "connect"
	}
	w.calls = append(w.calls, op)
	if w.after != nil {
		w.after(op)
	}
	return err
}

func (w *watchOps) PowerOff(ctx context.Context, vm string) error {
	err := w.Ops.PowerOff(ctx, vm)
	w.calls = append(w.calls, "power-off")
	if w.after != nil {
		w.after("power-off")
	}
	return err
}

// A stun on vSphere is a memory snapshot of the master, removed by the
// thaw: the simulator holds the snapshot in between and none after.
func TestVSphereStunSnapshot(t *testing.T) {
	sw, env := newSimWorld(t)
	ctx := context.Background()
	n := simNet(t, env)
	trig, undo := env.Describe(failover.TriggerStun, n, "router-002")
	if !strings.Contains(trig, `memory snapshot "carpvm-stun-drill"`) || !strings.Contains(undo, "remove snapshot") {
		t.Errorf("describe: %q / %q", trig, undo)
	}
	if err := env.Trigger(ctx, failover.TriggerStun, n, "router-002"); err != nil {
		t.Fatal(err)
	}
	if err := sw.s.SnapshotMemory(ctx, sim.Router1, vsphereenv.StunSnapshot); err == nil || !strings.Contains(err.Error(), "already has a snapshot") {
		t.Errorf("the stun left no snapshot on router-002: %v", err)
	}
	if err := env.Undo(ctx, failover.TriggerStun, n, "router-002"); err != nil {
		t.Fatal(err)
	}
	// Gone: a new one can be taken (and is cleaned up).
	if err := sw.s.SnapshotMemory(ctx, sim.Router1, vsphereenv.StunSnapshot); err != nil {
		t.Errorf("snapshot still there after the thaw: %v", err)
	}
	_ = sw.s.RemoveSnapshot(ctx, sim.Router1, vsphereenv.StunSnapshot)
	// Undo after a stun that never happened is no error.
	if err := env.Undo(ctx, failover.TriggerStun, n, "router-002"); err != nil {
		t.Errorf("undo without a snapshot: %v", err)
	}
}

// unwitnessedEnv is the vSphere Env on the embedded simulator, with no
// witness (the simulator carries no CARP traffic).
func unwitnessedEnv(t *testing.T) (*vsphere.Session, *vsphereenv.Env) {
	t.Helper()
	_, s := simSession(t)
	return s, &vsphereenv.Env{Ops: s, State: s, Config: config.Simulator(), URL: "simulator", NoWitness: true}
}

// Against the simulator the drill acts on the preferred master, reads the
// effect back from vSphere, undoes it and reads that back; the figures a
// witness would measure are listed as unavailable, never made up.
func TestUnwitnessedDrillReadsTheTriggerBack(t *testing.T) {
	for _, tc := range []struct {
		trigger failover.Trigger
		during  func(*vsphere.Session) bool
	}{
		{failover.TriggerNICDisconnect, func(s *vsphere.Session) bool {
			nic, err := s.NIC(context.Background(), sim.Router1, sim.PortgroupInternal)
			return err == nil && !nic.Connected
		}},
		{failover.TriggerPowerOff, func(s *vsphere.Session) bool {
			ps, err := s.PowerState(context.Background(), sim.Router1)
			return err == nil && ps == "poweredOff"
		}},
	} {
		t.Run(string(tc.trigger), func(t *testing.T) {
			s, env := unwitnessedEnv(t)
			nets, err := env.Networks("") // no addresses needed without a witness
			if err != nil {
				t.Fatal(err)
			}
			var sawEffect bool
			env.Ops = &watchOps{Ops: s, after: func(op string) {
				if op == "disconnect" || op == "power-off" {
					sawEffect = tc.during(s)
				}
			}}
			reps, err := failover.RunUnwitnessed(context.Background(), failover.Options{Env: env, Trigger: tc.trigger, Networks: nets[:1]})
			if err != nil {
				t.Fatal(err)
			}
			r := reps[0]
			if !r.Pass || !r.Restored || r.OldMaster != "router-002" || r.NewMaster != "" || r.TakeoverS != 0 {
				t.Fatalf("report %+v", r)
			}
			if !sawEffect {
				t.Error("the simulator never showed the trigger's effect")
			}
			if tc.during(s) {
				t.Error("the trigger was not undone")
			}
			for _, f := range []string{"new_master", "takeover_s", "blackout_s", "vip_mac_after", "mac_relearned"} {
				if !slices.Contains(r.Unavailable, f) {
					t.Errorf("unavailable %v lacks %s", r.Unavailable, f)
				}
			}
			if !strings.Contains(r.Notice, "no CARP traffic") {
				t.Errorf("notice %q", r.Notice)
			}
			var tbl, md bytes.Buffer
			if err := failover.WriteTable(&tbl, table.Terminal{}, reps); err != nil {
				t.Fatal(err)
			}
			if err := failover.WriteMarkdown(&md, reps); err != nil {
				t.Fatal(err)
			}
			for name, out := range map[string]string{"table": tbl.String(), "markdown": md.String()} {
				if strings.Contains(out, "0.000s") || !strings.Contains(out, "n/a") || !strings.Contains(out, "no CARP traffic") {
					t.Errorf("%s shows a figure it did not measure, or no notice:\n%s", name, out)
				}
			}
			prom := filepath.Join(t.TempDir(), "drill.prom")
			if err := history.WriteMetrics(prom, reps); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(prom); strings.Contains(string(b), "carpvm_drill_takeover_seconds{") || !strings.Contains(string(b), "carpvm_drill_success{") {
				t.Errorf("metrics publish an unmeasured takeover:\n%s", b)
			}
			trig, _ := r.Phase(failover.PhaseTrigger)
			rest, _ := r.Phase(failover.PhaseRestore)
			if !strings.Contains(trig.Detail, "read back") || !strings.Contains(rest.Detail, "read back") {
				t.Errorf("phases do not say what was read back: %+v", r.Phases)
			}
		})
	}
}

// An undo that fails, or that says it worked but left the VM off (as read
// back), leaves the drill failed and not restored.
func TestUnwitnessedDrillUndoFails(t *testing.T) {
	for name, ops := range map[string]func(vsphereenv.Ops) vsphereenv.Ops{
		"refused": func(o vsphereenv.Ops) vsphereenv.Ops { return failingPowerOn{o} },
		"ignored": func(o vsphereenv.Ops) vsphereenv.Ops { return ignoredPowerOn{o} },
	} {
		s, env := unwitnessedEnv(t)
		nets, _ := env.Networks("intranought")
		env.Ops = ops(s)
		reps, err := failover.RunUnwitnessed(context.Background(), failover.Options{Env: env, Trigger: failover.TriggerPowerOff, Networks: nets})
		if err != nil {
			t.Fatal(err)
		}
		if r := reps[0]; r.Pass || r.Restored {
			t.Errorf("%s power-on: passed or restored: %+v", name, r.Phases)
		}
	}
}

// Demote and partition cannot be read back from vSphere: refused.
func TestUnwitnessedDrillRefusesUnreadableTriggers(t *testing.T) {
	_, env := unwitnessedEnv(t)
	nets, _ := env.Networks("intranought")
	for _, tr := range []failover.Trigger{failover.TriggerDemote, failover.TriggerPartition} {
		if _, err := failover.RunUnwitnessed(context.Background(), failover.Options{Env: env, Trigger: tr, Networks: nets}); err == nil {
			t.Errorf("%s accepted", tr)
		}
	}
}

type failingPowerOn struct{ vsphereenv.Ops }

func (failingPowerOn) PowerOn(context.Context, string) error { return errors.New("power on refused") }

type ignoredPowerOn struct{ vsphereenv.Ops }

func (ignoredPowerOn) PowerOn(context.Context, string) error { return nil }
