package sim_test

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

// The added inventory's VMs, most of them copies of the first VM of their
// shape, read through the API as VMs of their own: each on its host and
// datastore, with unique UUIDs and MACs, NICs on the networks asked for,
// powered on; and an operation on one copy leaves the others alone.
func TestBulkVMsAreVMsOfTheirOwn(t *testing.T) {
	top := sim.Default().WithInventory(sim.Inventory{Hosts: 3, VMs: 40})
	_, c := start(t, top)
	ctx := context.Background()
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Destroy(ctx)
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime", "config", "datastore", "network", "resourcePool"}, &vms); err != nil {
		t.Fatal(err)
	}
	byName := map[string]mo.VirtualMachine{}
	for _, vm := range vms {
		byName[vm.Name] = vm
	}
	hostNames := map[types.ManagedObjectReference]string{}
	uuids, macs := map[string]string{}, map[string]string{}
	for _, want := range top.VMs[2:] {
		vm, ok := byName[want.Name]
		if !ok {
			t.Errorf("VM %s missing", want.Name)
			continue
		}
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			t.Errorf("%s is %s", vm.Name, vm.Runtime.PowerState)
		}
		ref := *vm.Runtime.Host
		if hostNames[ref] == "" {
			var h mo.HostSystem
			if err := object.NewHostSystem(c, ref).Properties(ctx, ref, []string{"name", "vm"}, &h); err != nil {
				t.Fatal(err)
			}
			hostNames[ref] = h.Name
			for _, r := range h.Vm {
				if r == vm.Self {
					ref = types.ManagedObjectReference{}
				}
			}
			if ref.Value != "" {
				t.Errorf("host %s does not list %s among its VMs", h.Name, vm.Name)
			}
		}
		if hostNames[*vm.Runtime.Host] != want.Host {
			t.Errorf("%s on host %s, want %s", vm.Name, hostNames[*vm.Runtime.Host], want.Host)
		}
		if len(vm.Datastore) != 1 || vm.ResourcePool == nil {
			t.Errorf("%s: datastores %v, pool %v", vm.Name, vm.Datastore, vm.ResourcePool)
		}
		if other, dup := uuids[vm.Config.Uuid]; dup {
			t.Errorf("%s and %s share UUID %s", vm.Name, other, vm.Config.Uuid)
		}
		uuids[vm.Config.Uuid] = vm.Name
		nics := 0
		for _, d := range vm.Config.Hardware.Device {
			if card, ok := d.(types.BaseVirtualEthernetCard); ok {
				mac := card.GetVirtualEthernetCard().MacAddress
				if other, dup := macs[mac]; dup {
					t.Errorf("%s and %s share MAC %s", vm.Name, other, mac)
				}
				macs[mac] = vm.Name
				nics++
			}
		}
		if nics != len(want.NICs) || len(vm.Network) != len(want.NICs) {
			t.Errorf("%s: %d NICs on %d networks, want %d", vm.Name, nics, len(vm.Network), len(want.NICs))
		}
	}

	// Power one copy off: its template and the other copies stay on.
	first, copy1, copy2 := byName["inv-vm-00001"], byName["inv-vm-00005"], byName["inv-vm-00009"]
	task, err := object.NewVirtualMachine(c, copy1.Self).PowerOff(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range []mo.VirtualMachine{first, copy1, copy2} {
		state, err := object.NewVirtualMachine(c, vm.Self).PowerState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := types.VirtualMachinePowerStatePoweredOn
		if vm.Name == copy1.Name {
			want = types.VirtualMachinePowerStatePoweredOff
		}
		if state != want {
			t.Errorf("after powering %s off, %s is %s, want %s", copy1.Name, vm.Name, state, want)
		}
	}
}
