package vsphere_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vmware/govmomi/simulator"

	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// everyStepTopology makes a plan with every kind of standard step.
func everyStepTopology() sim.Topology { return sim.EveryStep() }

// rejectingDVS is Distributed where both portgroups inherit the switch's
// all-Reject policies.
func rejectingDVS() sim.Topology {
	t := sim.Distributed(false)
	t.Name = "distributed-reject"
	for i := range t.Switches[0].Portgroups {
		t.Switches[0].Portgroups[i].Security = nil
		t.Switches[0].Portgroups[i].MACManagement = nil
	}
	return t
}

func fixPtr[T any](v T) *T { return &v }

// TestApplyFaultAtEachStep injects a fault into the Nth call of every
// method the plan uses, for every N until the plan goes through: each
// failed Apply names the step and the fault and leaves the inventory
// exactly as it was.
func TestApplyFaultAtEachStep(t *testing.T) {
	cases := []struct {
		top     sim.Topology
		opts    fix.Options
		methods []string
	}{
		{everyStepTopology(), fix.Options{Relocate: true, SetVMAC: true},
			[]string{"UpdateOptions", "UpdatePortGroup", "ReconfigureComputeResource_Task", "RelocateVM_Task", "ReconfigVM_Task"}},
		{rejectingDVS(), fix.Options{}, []string{"UpdateOptions", "ReconfigureDVPortgroup_Task"}},
	}
	for _, tc := range cases {
		for _, method := range tc.methods {
			t.Run(tc.top.Name+"/"+method, func(t *testing.T) {
				w := newFixWorld(t, tc.top)
				before := w.state(t)
				p := w.plan(tc.opts)
				b := w.backup(p)
				for n := 0; ; n++ {
					if n > 50 {
						t.Fatal("the plan never went through")
					}
					w.srv.AddFaultRule(&simulator.FaultInjectionRule{
						MethodName: method, ObjectType: "*", ObjectName: "*", Probability: 1,
						FaultType: simulator.FaultTypeInvalidState, Message: "injected by the test",
						SkipCount: n, MaxCount: 1, Enabled: true,
					})
					err := w.s.Apply(w.ctx, b)
					w.srv.ClearFaultRules()
					if err == nil {
						if n == 0 {
							t.Fatalf("the plan does not call %s", method)
						}
						t.Logf("%s: %d call(s), each fault rolled back", method, n)
						break
					}
					var ae *vsphere.ApplyError
					if !errors.As(err, &ae) || ae.RollbackErr != nil {
						t.Fatalf("fault %d: err = %v, want an ApplyError with a clean rollback", n, err)
					}
					if !strings.Contains(err.Error(), "apply step") || !strings.Contains(err.Error(), "InvalidState") && !strings.Contains(err.Error(), "injected") {
						t.Errorf("fault %d: error %q names no step or fault", n, err)
					}
					if d := sim.DiffState(before, w.state(t)); len(d) > 0 {
						t.Fatalf("fault %d (%v): inventory changed:\n%s", n, err, strings.Join(d, "\n"))
					}
				}
				if err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{}); err != nil {
					t.Fatalf("Rollback: %v", err)
				}
				if d := sim.DiffState(before, w.state(t)); len(d) > 0 {
					t.Fatalf("after rollback:\n%s", strings.Join(d, "\n"))
				}
			})
		}
	}
}

// TestApplyServerGoneThenRollback: when vSphere refuses everything after the
// first write (as a vCenter going away mid-apply), the in-process rollback
// fails too and says so; the backup, applied later, restores the inventory.
func TestApplyServerGoneThenRollback(t *testing.T) {
	w := newFixWorld(t, sim.Default()).twoWrites()
	before := w.state(t)
	b := w.backup(w.plan(fix.Options{}))
	w.srv.AddFaultRule(&simulator.FaultInjectionRule{
		MethodName: "UpdatePortGroup", ObjectType: "*", ObjectName: "*", Probability: 1,
		FaultType: simulator.FaultTypeNetworkFailure, Message: "vCenter went away",
		SkipCount: 1, Enabled: true,
	})
	err := w.s.Apply(w.ctx, b)
	var ae *vsphere.ApplyError
	if !errors.As(err, &ae) || ae.RollbackErr == nil || ae.Step != 2 {
		t.Fatalf("err = %v, want step 2 failed and the rollback failed too", err)
	}
	t.Logf("apply error: %v", err)
	if !strings.Contains(err.Error(), "preflight rollback") {
		t.Errorf("error %q does not say how to roll back later", err)
	}
	w.srv.ClearFaultRules()
	if d := sim.DiffState(before, w.state(t)); len(d) == 0 {
		t.Fatal("the first step was not applied: the test proves nothing")
	}
	if err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{}); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if d := sim.DiffState(before, w.state(t)); len(d) > 0 {
		t.Errorf("after rollback:\n%s", strings.Join(d, "\n"))
	}
}
