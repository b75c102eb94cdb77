package failover

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// The vSphere path: triggers go to the simulator through the real
// vsphere.Session; the packets come from a synthetic segment (world) whose
// router-002 mirrors what the simulator says of its IntraNought NIC and
// power state, read back through govmomi every 20 ms. (A real run's
// witness sits on --interface; the lab tests cover the packet side.)
type simWorld struct {
	*world
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

func newSimWorld(t *testing.T) (*simWorld, *VSphereEnv) {
	t.Helper()
	ctx := context.Background()
	srv, s := simSession(t)
	sw := &simWorld{world: newWorld(), s: s}
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
			sw.set("router-002", up)
		}
	}()
	t.Cleanup(func() { close(stop); <-done; sw.close() })

	cfg := config.Simulator()
	env := &VSphereEnv{Ops: s, Config: cfg, URL: srv.URL, OpenObserver: sw.observe}
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

func simNet(t *testing.T, env *VSphereEnv) Network {
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
	env.CheckGate = func(context.Context, Network) (string, error) { return "preflight passed (test)", nil }
	ops := &watchOps{VSphereOps: env.Ops, after: func(op string) {
		if op == "disconnect" {
			nic, err := sw.s.NIC(ctx, sim.Router1, sim.PortgroupInternal)
			sawDisconnected = err == nil && !nic.Connected
		}
	}}
	env.Ops = ops
	reps, err := Run(ctx, Options{Env: env, Trigger: TriggerNICDisconnect, Networks: []Network{simNet(t, env)}, MaxTakeover: time.Second, MaxBlackout: time.Second})
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
	sw.never = true
	ctx := context.Background()
	reps, err := Run(ctx, Options{Env: env, Trigger: TriggerPowerOff, Networks: []Network{simNet(t, env)}, Deadline: 500 * time.Millisecond})
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
	sw.never = true
	ctx, cancel := context.WithCancel(context.Background())
	env.Ops = &watchOps{VSphereOps: env.Ops, after: func(op string) {
		if op == "disconnect" {
			time.AfterFunc(200*time.Millisecond, cancel) // Ctrl-C mid-measure
		}
	}}
	reps, err := Run(ctx, Options{Env: env, Trigger: TriggerNICDisconnect, Networks: []Network{simNet(t, env)}, Deadline: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	nic, nerr := sw.s.NIC(context.Background(), sim.Router1, sim.PortgroupInternal)
	if nerr != nil || !nic.Connected {
		t.Errorf("after the interrupt: %+v, %v; want the NIC reconnected", nic, nerr)
	}
	if !reps[0].Restored {
		t.Errorf("report says not restored: %+v", reps[0].Phases)
	}
}

func TestVSphereNetworksNeedAddresses(t *testing.T) {
	cfg := config.Simulator()
	env := &VSphereEnv{Config: cfg}
	nets, err := env.Networks("")
	if err == nil || !strings.Contains(err.Error(), "networks[1].addresses") {
		t.Fatalf("Networks() = %v, %v; want the public network's missing addresses named", nets, err)
	}
	nets, err = env.Networks("intranought")
	if err != nil || len(nets) != 1 || nets[0].BackupSkew != 100 || nets[0].VHID != 1 || nets[0].VIP.String() != "172.27.27.14" {
		t.Errorf("Networks(intranought) = %+v, %v", nets, err)
	}
	if _, err := env.Networks("dmz"); err == nil {
		t.Error("an unknown network was accepted")
	}
	if err := env.Trigger(context.Background(), TriggerPartition, nets[0], "router-002"); err == nil {
		t.Error("partition accepted on vSphere")
	}
	if err := env.Trigger(context.Background(), TriggerDemote, nets[0], "router-002"); err == nil || !strings.Contains(err.Error(), "--command") {
		t.Errorf("demote without --command: %v", err)
	}
}

func TestVSphereDemoteCommand(t *testing.T) {
	dir := t.TempDir()
	env := &VSphereEnv{Config: config.Simulator(),
		Command:        "echo \"$CARPVM_ROUTER $CARPVM_VM $CARPVM_NETWORK $CARPVM_VHID $CARPVM_INTERFACE\" > " + dir + "/demoted",
		RestoreCommand: "exit 3"}
	nets, _ := env.Networks("intranought")
	if err := env.Trigger(context.Background(), TriggerDemote, nets[0], "router-002"); err != nil {
		t.Fatal(err)
	}
	b, err := readFile(dir + "/demoted")
	if err != nil || b != "router-002 router-002 intranought 1 vmx0\n" {
		t.Errorf("command saw %q, %v", b, err)
	}
	if err := env.Undo(context.Background(), TriggerDemote, nets[0], "router-002"); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing restore command: %v", err)
	}
}

// watchOps records the vSphere calls and runs after after each.
type watchOps struct {
	VSphereOps
	calls []string
	after func(op string)
}

func (w *watchOps) SetNICConnected(ctx context.Context, vm, pg string, connected bool) error {
	err := w.VSphereOps.SetNICConnected(ctx, vm, pg, connected)
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
	err := w.VSphereOps.PowerOff(ctx, vm)
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
	trig, undo := env.Describe(TriggerStun, n, "router-002")
	if !strings.Contains(trig, `memory snapshot "carpvm-stun-drill"`) || !strings.Contains(undo, "remove snapshot") {
		t.Errorf("describe: %q / %q", trig, undo)
	}
	if err := env.Trigger(ctx, TriggerStun, n, "router-002"); err != nil {
		t.Fatal(err)
	}
	if err := sw.s.SnapshotMemory(ctx, sim.Router1, StunSnapshot); err == nil || !strings.Contains(err.Error(), "already has a snapshot") {
		t.Errorf("the stun left no snapshot on router-002: %v", err)
	}
	if err := env.Undo(ctx, TriggerStun, n, "router-002"); err != nil {
		t.Fatal(err)
	}
	// Gone: a new one can be taken (and is cleaned up).
	if err := sw.s.SnapshotMemory(ctx, sim.Router1, StunSnapshot); err != nil {
		t.Errorf("snapshot still there after the thaw: %v", err)
	}
	_ = sw.s.RemoveSnapshot(ctx, sim.Router1, StunSnapshot)
	// Undo after a stun that never happened is no error.
	if err := env.Undo(ctx, TriggerStun, n, "router-002"); err != nil {
		t.Errorf("undo without a snapshot: %v", err)
	}
}
