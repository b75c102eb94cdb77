package vsphere_test

import (
	"context"
	"testing"

	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// inventoryTrips gathers top's whole inventory and returns it with the
// round trips it took.
func inventoryTrips(t *testing.T, top sim.Topology) (*facts.Inventory, int) {
	t.Helper()
	s := open(t, startSim(t, top).VSphereConfig())
	before := s.RoundTrips()
	inv, err := s.GatherInventory(context.Background())
	if err != nil {
		t.Fatalf("GatherInventory(%s): %v", top.Name, err)
	}
	return inv, s.RoundTrips() - before
}

// The whole inventory, every host's vSwitches and portgroups and every
// VM's networks, in the same round trips for 2 VMs as for 300 on 4 hosts.
func TestGatherInventoryEveryHostInConstantRoundTrips(t *testing.T) {
	small, smallTrips := inventoryTrips(t, sim.Default())
	large, largeTrips := inventoryTrips(t, sim.Scaled(300))
	if smallTrips != largeTrips || smallTrips > 4 {
		t.Errorf("round trips: %d for the default inventory, %d for 300 more VMs; want the same, at most 4", smallTrips, largeTrips)
	}
	if len(small.Hosts) != 1 || len(large.Hosts) < 4 || len(large.VMs) != 302 {
		t.Fatalf("default: %d hosts; scaled: %d hosts, %d VMs; want 1, at least 4, 302", len(small.Hosts), len(large.Hosts), len(large.VMs))
	}
	for _, h := range large.Hosts {
		if _, ok := h.VSwitch("vSwitch0"); !ok || len(h.Portgroups) == 0 {
			t.Errorf("host %s: vSwitches %v, %d portgroups; want every host's networking", h.Name, h.VSwitches, len(h.Portgroups))
		}
	}
	onVMNetwork := 0
	for _, vm := range large.VMs {
		for _, n := range vm.Networks {
			if n == (facts.VMNetwork{Name: "VM Network", Kind: facts.KindStandard}) {
				onVMNetwork++
			}
		}
	}
	if onVMNetwork != 300 {
		t.Errorf("%d VMs on VM Network, want the 300 filler VMs", onVMNetwork)
	}
}

func TestGatherInventoryDistributed(t *testing.T) {
	inv, _ := inventoryTrips(t, sim.Distributed(true))
	var names []string
	for _, pg := range inv.DVPortgroups {
		names = append(names, pg.Switch+"/"+pg.Name)
		if pg.Name == "IntraNought" && (pg.MACManagement == nil || !pg.MACManagement.MACLearning) {
			t.Errorf("IntraNought's MAC management %+v, want MAC learning on", pg.MACManagement)
		}
	}
	if len(inv.DVPortgroups) < 2 {
		t.Fatalf("dvportgroups %v, want IntraNought and Public of DSwitch at least", names)
	}
}
