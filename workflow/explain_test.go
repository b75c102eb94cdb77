package workflow

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// Each kind of cause, end to end on the simulator: perform the operation
// through the API (or the simulator's seam where no client can), write
// the takeover's transition line, read it back, explain it.
func TestExplainEachKindOnTheSimulator(t *testing.T) {
	for kind, op := range map[explain.Kind]func(t *testing.T, ctx context.Context, s *simSession) error{
		explain.KindSnapshot: func(t *testing.T, ctx context.Context, s *simSession) error {
			if err := s.SnapshotMemory(ctx, sim.Router1, "backup-job"); err != nil {
				return err
			}
			return s.RemoveSnapshot(ctx, sim.Router1, "backup-job")
		},
		explain.KindVMotion: func(t *testing.T, ctx context.Context, s *simSession) error {
			vm, host := findVMAndHost(t, ctx, s, sim.Router1, "esxi-03")
			ref := host.Reference()
			task, err := vm.Relocate(ctx, types.VirtualMachineRelocateSpec{Host: &ref}, types.VirtualMachineMovePriorityDefaultPriority)
			if err != nil {
				return err
			}
			return task.Wait(ctx)
		},
		explain.KindPower: func(t *testing.T, ctx context.Context, s *simSession) error { return s.PowerOff(ctx, sim.Router1) },
		explain.KindNIC: func(t *testing.T, ctx context.Context, s *simSession) error {
			return s.SetNICConnected(ctx, sim.Router1, sim.PortgroupInternal, false)
		},
		explain.KindHost:      func(t *testing.T, ctx context.Context, s *simSession) error { return s.srv.LoseHost("esxi-01") },
		explain.KindHARestart: func(t *testing.T, ctx context.Context, s *simSession) error { return s.srv.RestartByHA(sim.Router1) },
		explain.KindPolicy: func(t *testing.T, ctx context.Context, s *simSession) error {
			_, host := findVMAndHost(t, ctx, s, sim.Router1, "esxi-01")
			ns, err := host.ConfigManager().NetworkSystem(ctx)
			if err != nil {
				return err
			}
			var m mo.HostNetworkSystem
			if err := ns.Properties(ctx, ns.Reference(), []string{"networkInfo.portgroup"}, &m); err != nil {
				return err
			}
			for _, pg := range m.NetworkInfo.Portgroup {
				if pg.Spec.Name == sim.PortgroupInternal {
					off := false
					spec := pg.Spec
					spec.Policy.Security = &types.HostNetworkSecurityPolicy{ForgedTransmits: &off}
					return ns.UpdatePortGroup(ctx, pg.Spec.Name, spec)
				}
			}
			return fmt.Errorf("no portgroup %s", sim.PortgroupInternal)
		},
		explain.KindNone: func(*testing.T, context.Context, *simSession) error { return nil },
	} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := config.Simulator()
			be, err := Open(ctx, cfg, "cluster", func(string, ...any) {})
			if err != nil {
				t.Fatal(err)
			}
			defer be.Close(ctx)
			s := be.(*simSession)
			// The topology's own creation (VMs powered on) is history too:
			// keep it out of the window's nearest place.
			time.Sleep(1500 * time.Millisecond)
			if err := op(t, ctx, s); err != nil {
				t.Fatal(err)
			}
			at := time.Now().Add(100 * time.Millisecond)
			window := time.Second
			if kind == explain.KindNone {
				at = at.Add(time.Minute)
			}
			var log bytes.Buffer
			w := transition.NewWriter(&log)
			if err := w.Write(transition.Transition{Time: at, Router: "router-003", Network: "intranought", VHID: 1,
				From: "BACKUP", To: "MASTER", Reason: "master down"}); err != nil {
				t.Fatal(err)
			}
			ts, errs, err := transition.Read(&log, "transitions.jsonl")
			if err != nil || len(errs) > 0 {
				t.Fatal(err, errs)
			}
			rep, err := ExplainWith(ctx, s, cfg, ts, window, func(string, ...any) {})
			if err != nil {
				t.Fatal(err)
			}
			x := rep.Transitions[0]
			if x.Causes[0].Kind != kind {
				t.Fatalf("nearest cause = %+v, want %s; all: %+v", x.Causes[0], kind, x.Causes)
			}
			if (kind == explain.KindNone) != (rep.Unexplained() == 1) {
				t.Fatalf("Unexplained = %d for %s", rep.Unexplained(), kind)
			}
			if len(x.Advice) == 0 {
				t.Fatalf("no advice for %s", kind)
			}
		})
	}
}

func findVMAndHost(t *testing.T, ctx context.Context, s *simSession, vm, host string) (*object.VirtualMachine, *object.HostSystem) {
	t.Helper()
	f := find.NewFinder(s.Client(), true)
	dc, err := f.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	v, err := f.VirtualMachine(ctx, vm)
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.HostSystem(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	return v, h
}
