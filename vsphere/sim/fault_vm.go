package sim

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// VMState is what a drill's triggers change on one VM: its power state,
// its snapshots' names and whether its NIC on each portgroup is connected.
type VMState struct {
	Power     types.VirtualMachinePowerState
	Snapshots []string
	// Connected is by portgroup name (standard or distributed).
	Connected map[string]bool
}

// Up says the VM runs and reaches portgroup: powered on, its NIC there
// connected, no snapshot named stun (a memory snapshot stuns it).
func (v VMState) Up(portgroup, stun string) bool {
	for _, s := range v.Snapshots {
		if s == stun {
			return false
		}
	}
	return v.Power == types.VirtualMachinePowerStatePoweredOn && v.Connected[portgroup]
}

// ReadVM reads the VM named name in process, past the fault seam and
// without a SOAP call, so that a test's synthetic CARP segment follows
// what a drill did to the VM whatever fault is armed, every few
// milliseconds, without a call the walk would count.
func (s *Server) ReadVM(ctx context.Context, name string) (VMState, error) {
	m := s.model.Service.Context.Map
	sctx := &simulator.Context{Context: ctx, Map: m,
		Session: &simulator.Session{UserSession: types.UserSession{Key: "carpvm-sim-read-vm"}}}
	dvName := map[string]string{}
	for _, e := range m.All("DistributedVirtualPortgroup") {
		pg := e.(*simulator.DistributedVirtualPortgroup)
		m.WithLock(sctx, pg, func() { dvName[pg.Key] = pg.Name })
	}
	for _, e := range m.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		var st VMState
		found := false
		m.WithLock(sctx, vm, func() {
			if vm.Name != name {
				return
			}
			found = true
			st = vmState(&vm.VirtualMachine, dvName)
		})
		if found {
			return st, nil
		}
	}
	return VMState{}, fmt.Errorf("sim: no VM named %q", name)
}

// vmState is what VMState holds of vm.
func vmState(vm *mo.VirtualMachine, dvName map[string]string) VMState {
	st := VMState{Power: vm.Runtime.PowerState, Connected: map[string]bool{}}
	if vm.Snapshot != nil {
		for _, t := range vm.Snapshot.RootSnapshotList {
			st.Snapshots = append(st.Snapshots, t.Name)
		}
	}
	if vm.Config == nil {
		return st
	}
	for _, d := range vm.Config.Hardware.Device {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		eth := card.GetVirtualEthernetCard()
		connected := eth.Connectable != nil && eth.Connectable.Connected
		switch b := eth.Backing.(type) {
		case *types.VirtualEthernetCardNetworkBackingInfo:
			st.Connected[b.DeviceName] = connected
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			st.Connected[dvName[b.Port.PortgroupKey]] = connected
		}
	}
	return st
}
