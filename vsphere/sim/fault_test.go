package sim_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

func powerState(t *testing.T, c *vim25.Client, vm *object.VirtualMachine) types.VirtualMachinePowerState {
	t.Helper()
	var m mo.VirtualMachine
	if err := property.DefaultCollector(c).RetrieveOne(context.Background(), vm.Reference(), []string{"runtime.powerState"}, &m); err != nil {
		t.Fatalf("read the power state: %v", err)
	}
	return m.Runtime.PowerState
}

// Each fault kind, on a power-off: the call fails as the kind says, and
// the VM is off exactly when the kind lets the call through.
func TestFaultKinds(t *testing.T) {
	cases := []struct {
		kind    sim.FaultKind
		fault   string
		applied bool
		is      types.BaseMethodFault // the fault the client sees, nil: a transport error
	}{
		{sim.FaultSOAP, "HostCommunication", false, &types.HostCommunication{}},
		{sim.FaultSOAP, "NoPermission", false, &types.NoPermission{}},
		{sim.FaultTaskError, "InvalidState", false, &types.InvalidState{}},
		{sim.FaultDropBefore, "", false, nil},
		{sim.FaultDropAfter, "", true, nil},
		{sim.FaultTimeout, "", true, nil},
		{sim.FaultDown, "", false, nil},
		{sim.FaultSessionExpired, "", false, &types.NotAuthenticated{}},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind)+tc.fault, func(t *testing.T) {
			srv, c := start(t, sim.Default())
			ctx := context.Background()
			vm, err := find.NewFinder(c, false).VirtualMachine(ctx, "/"+sim.DefaultDatacenter+"/vm/"+sim.Router1)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.InjectFault(sim.FaultPlan{Call: 1, Kind: tc.kind, Fault: tc.fault,
				Counted: func(m string) bool { return m == "PowerOffVM_Task" }}); err != nil {
				t.Fatal(err)
			}
			callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			task, err := vm.PowerOff(callCtx)
			if err == nil {
				err = task.Wait(callCtx)
			}
			if err == nil {
				t.Fatal("the power-off did not fail")
			}
			if tc.is != nil && !fault.Is(err, tc.is) {
				t.Fatalf("err = %v, want %T", err, tc.is)
			}
			if tc.is == nil && fault.Is(err, &types.MethodFault{}) {
				t.Fatalf("err = %v, want a transport error", err)
			}
			switch tc.kind {
			case sim.FaultDown:
				if _, err := vm.PowerOff(ctx); err == nil {
					t.Fatal("a call after vCenter went down was answered")
				}
				srv.Up()
			case sim.FaultSessionExpired:
				var m mo.VirtualMachine
				err := property.DefaultCollector(c).RetrieveOne(ctx, vm.Reference(), []string{"name"}, &m)
				if !fault.Is(err, &types.NotAuthenticated{}) {
					t.Fatalf("a read after the session expired: err = %v, want NotAuthenticated", err)
				}
				if err := session.NewManager(c).Login(ctx, url.UserPassword(srv.Username, srv.Password.Reveal())); err != nil {
					t.Fatalf("log in again: %v", err)
				}
			}
			want := types.VirtualMachinePowerStatePoweredOn
			if tc.applied {
				want = types.VirtualMachinePowerStatePoweredOff
			}
			if got := powerState(t, c, vm); got != want {
				t.Errorf("power state %s, want %s", got, want)
			}
			if calls := srv.Calls(); len(calls) == 0 {
				t.Error("no call recorded")
			}
		})
	}
}

func TestFaultPlanValidates(t *testing.T) {
	srv, _ := start(t, sim.Default())
	for _, p := range []sim.FaultPlan{{Call: 0, Kind: sim.FaultDown}, {Call: 1, Kind: "bogus"}, {Call: 1, Kind: sim.FaultSOAP, Fault: "Nope"}} {
		if err := srv.InjectFault(p); err == nil {
			t.Errorf("InjectFault(%v) accepted", p)
		}
	}
	if err := srv.InjectFault(sim.FaultPlan{Call: 1, Kind: sim.FaultSOAP, Fault: "SystemError"}); errors.Is(err, context.Canceled) || err != nil {
		t.Errorf("a valid plan refused: %v", err)
	}
}
