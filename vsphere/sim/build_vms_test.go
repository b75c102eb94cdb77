package sim_test

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

// A built VM's adapters are what its NICs say, in order, after power-on
// (which connects every adapter in vcsim): one on an opaque network backed
// by it, one disconnected left disconnected, the others connected.
func TestBuiltNICs(t *testing.T) {
	top := sim.Opaque().WithVM(sim.VM{Name: "nics-01", Host: "esxi-01", Datastore: "datastore1", PoweredOn: true,
		NICs: []sim.NIC{{Network: sim.PortgroupPublic}, {Network: sim.PortgroupInternal, Disconnected: true}, {Network: sim.PortgroupInternal}}})
	_, c := start(t, top)
	ctx := context.Background()
	vm, err := find.NewFinder(c, false).VirtualMachine(ctx, "/"+sim.DefaultDatacenter+"/vm/nics-01")
	if err != nil {
		t.Fatal(err)
	}
	var o mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.hardware.device"}, &o); err != nil {
		t.Fatal(err)
	}
	var cards []*types.VirtualEthernetCard
	for _, d := range o.Config.Hardware.Device {
		if card, ok := d.(types.BaseVirtualEthernetCard); ok {
			cards = append(cards, card.GetVirtualEthernetCard())
		}
	}
	if len(cards) != 3 {
		t.Fatalf("%d network adapters, want 3", len(cards))
	}
	if _, ok := cards[0].Backing.(*types.VirtualEthernetCardOpaqueNetworkBackingInfo); !ok {
		t.Errorf("adapter 1 (Public, opaque) backed by %T, want the opaque network", cards[0].Backing)
	}
	for i, want := range []bool{true, false, true} {
		if c := cards[i].Connectable; c == nil || c.Connected != want || c.StartConnected != want {
			t.Errorf("adapter %d connectable %+v, want connected and start-connected %t", i+1, c, want)
		}
	}
}
