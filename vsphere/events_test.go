package vsphere_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// History returns what vCenter recorded of the operations carpvm and an
// operator perform on the pair, and of the pair's hosts and portgroups
// only, in round trips that do not grow with the history.
func TestHistoryOfThePair(t *testing.T) {
	w := newFixWorld(t, sim.Cluster(3, false))
	ctx, c := w.ctx, w.s.Client()
	begin := time.Now().Add(-time.Second)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.s.SnapshotMemory(ctx, sim.Router1, "carpvm-stun"))
	must(w.s.RemoveSnapshot(ctx, sim.Router1, "carpvm-stun"))
	must(w.s.SetNICConnected(ctx, sim.Router1, sim.PortgroupInternal, false))
	must(w.s.PowerOff(ctx, sim.Router2))
	f := find.NewFinder(c, true)
	dc, err := f.DefaultDatacenter(ctx)
	must(err)
	f.SetDatacenter(dc)
	vm, err := f.VirtualMachine(ctx, sim.Router1)
	must(err)
	host2, err := f.HostSystem(ctx, "esxi-02")
	must(err)
	ref := host2.Reference()
	task, err := vm.Relocate(ctx, types.VirtualMachineRelocateSpec{Host: &ref}, types.VirtualMachineMovePriorityDefaultPriority)
	must(err)
	must(task.Wait(ctx))
	ns, err := host2.ConfigManager().NetworkSystem(ctx)
	must(err)
	must(updatePortgroupPromiscuous(ctx, ns, sim.PortgroupInternal, false))
	must(w.srv.LoseHost("esxi-02"))
	must(w.srv.LoseHost("esxi-03")) // no router runs there: not the pair's
	must(w.srv.RestartByHA(sim.Router2))
	if err := w.srv.LoseHost("esxi-99"); err == nil || !strings.Contains(err.Error(), `no host named "esxi-99"`) {
		t.Fatalf("LoseHost(esxi-99) = %v, want the unknown host named", err)
	}

	scope := vsphere.HistoryScope{VMs: []string{sim.Router1, sim.Router2},
		Portgroups: []string{sim.PortgroupInternal, sim.PortgroupPublic},
		Begin:      begin, End: time.Now().Add(time.Second), EventTypes: explain.EventTypes()}
	rt := w.s.RoundTrips()
	hist, err := w.s.History(ctx, scope)
	must(err)
	trips := w.s.RoundTrips() - rt

	got := map[string]facts.Event{}
	for _, e := range hist {
		got[e.Type+" "+e.Entity] = e
	}
	for _, want := range []string{
		"VirtualMachine.createSnapshot " + sim.Router1,
		"vm.Snapshot.remove " + sim.Router1,
		"VmReconfiguredEvent " + sim.Router1,
		"VmPoweredOffEvent " + sim.Router2,
		"VirtualMachine.powerOff " + sim.Router2,
		"VmMigratedEvent " + sim.Router1,
		"VirtualMachine.relocate " + sim.Router1,
		"host.NetworkSystem.updatePortGroup esxi-02",
		"HostConnectionLostEvent esxi-02",
		"VmRestartedOnAlternateHostEvent " + sim.Router2,
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("history lacks %s; has %v", want, keys(got))
		}
	}
	if _, ok := got["HostConnectionLostEvent esxi-03"]; ok {
		t.Errorf("history has esxi-03, where no router runs")
	}
	if nic := got["VmReconfiguredEvent "+sim.Router1].NICChange; !strings.Contains(nic, "disconnected") {
		t.Errorf("NICChange = %q, want the adapter disconnected", nic)
	}
	snap := got["VirtualMachine.createSnapshot "+sim.Router1]
	if !snap.Task || snap.End.Before(snap.Time) || snap.End.IsZero() {
		t.Errorf("snapshot task %+v: want a task with its end", snap)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i].Time.Before(hist[i-1].Time) {
			t.Fatalf("history not in time order at %d", i)
		}
	}

	// Fifty more events of the pair: the same round trips.
	for range 25 {
		must(w.s.PowerOn(ctx, sim.Router2))
		must(w.s.PowerOff(ctx, sim.Router2))
	}
	scope.End = time.Now().Add(time.Second)
	rt = w.s.RoundTrips()
	more, err := w.s.History(ctx, scope)
	must(err)
	if len(more) <= len(hist) {
		t.Fatalf("second history has %d entries, first %d", len(more), len(hist))
	}
	if again := w.s.RoundTrips() - rt; again != trips {
		t.Fatalf("round trips: %d, then %d with 50 more events; want them equal", trips, again)
	}
	t.Logf("history of %d entries in %d round trips", len(more), trips)
}

func keys(m map[string]facts.Event) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// updatePortgroupPromiscuous sets a standard portgroup's promiscuous
// override, as an operator (or carpvm --fix) would.
func updatePortgroupPromiscuous(ctx context.Context, ns *object.HostNetworkSystem, name string, on bool) error {
	var mns mo.HostNetworkSystem
	if err := ns.Properties(ctx, ns.Reference(), []string{"networkInfo.portgroup"}, &mns); err != nil {
		return err
	}
	for _, pg := range mns.NetworkInfo.Portgroup {
		if pg.Spec.Name == name {
			spec := pg.Spec
			if spec.Policy.Security == nil {
				spec.Policy.Security = &types.HostNetworkSecurityPolicy{}
			}
			spec.Policy.Security.AllowPromiscuous = &on
			return ns.UpdatePortGroup(ctx, name, spec)
		}
	}
	return fmt.Errorf("no portgroup %s", name)
}
