package explain

import (
	"slices"

	"github.com/carpvm/carpvm/vsphere/facts"
)

// Kind is what vSphere did that can make CARP fail over.
type Kind string

// The kinds of cause, in the order their advice is given.
const (
	KindSnapshot  Kind = "snapshot"   // a snapshot create, remove or consolidate: the VM is stunned
	KindVMotion   Kind = "vmotion"    // a live migration: a stun at switch-over, then a new host port
	KindHARestart Kind = "ha-restart" // vSphere HA restarted the VM elsewhere
	KindPower     Kind = "power"      // powered off or on, reset, guest shutdown or reboot
	KindNIC       Kind = "nic"        // a network adapter disconnected or moved to another portgroup
	KindHost      Kind = "host"       // the host lost its connection, stopped responding, or an uplink went down
	KindPolicy    Kind = "policy"     // a portgroup's or vSwitch's security policy changed
	KindNone      Kind = "none"       // nothing in vCenter within the window
)

// causeTypes lists, per kind, the vCenter event types (events, EventEx
// and ExtendedEvent ids) and task descriptionIds that are causes of it.
// It is the one list: EventTypes derives vCenter's event filter from it.
var causeTypes = []struct {
	kind   Kind
	events []string
	tasks  []string
}{
	{KindSnapshot,
		[]string{"com.vmware.vc.VmDiskConsolidatedEvent", "VmDiskConsolidatedEvent"},
		[]string{"VirtualMachine.createSnapshot", "VirtualMachine.createSnapshotEx", "vm.Snapshot.remove",
			"VirtualMachine.removeAllSnapshots", "VirtualMachine.consolidateDisks", "vm.Snapshot.revert",
			"VirtualMachine.revertToCurrentSnapshot"}},
	{KindVMotion,
		[]string{"VmMigratedEvent", "DrsVmMigratedEvent", "VmEmigratingEvent", "VmBeingHotMigratedEvent",
			"VmBeingMigratedEvent", "VmRelocatedEvent"},
		[]string{"VirtualMachine.migrate", "VirtualMachine.relocate", "Drm.ExecuteVMotionLRO"}},
	{KindHARestart,
		[]string{"VmRestartedOnAlternateHostEvent", "com.vmware.vc.ha.VmRestartedByHAEvent", "DasHostFailedEvent",
			"DasHostIsolatedEvent", "VmDasBeingResetEvent", "VmPrimaryFailoverEvent"},
		nil},
	{KindPower,
		[]string{"VmPoweredOffEvent", "VmPoweredOnEvent", "VmResettingEvent", "VmGuestShutdownEvent",
			"VmGuestRebootEvent", "VmSuspendedEvent"},
		[]string{"VirtualMachine.powerOff", "VirtualMachine.powerOn", "VirtualMachine.reset",
			"VirtualMachine.suspend", "VirtualMachine.shutdownGuest", "VirtualMachine.rebootGuest"}},
	// A reconfiguration is a nic cause only when it changed a NIC
	// (facts.Event.NICChange): its event carries the spec, its task does not.
	{KindNIC, []string{"VmReconfiguredEvent"}, nil},
	{KindHost,
		[]string{"HostConnectionLostEvent", "HostDisconnectedEvent", "HostShutdownEvent",
			"HostIsolationIpPingFailedEvent", "esx.problem.net.vmnic.linkstate.down",
			"esx.problem.net.connectivity.lost", "esx.problem.net.redundancy.lost",
			"esx.problem.net.redundancy.degraded", "vprob.net.connectivity.lost", "vprob.net.redundancy.lost"},
		nil},
	{KindPolicy,
		[]string{"DVPortgroupReconfiguredEvent", "DvsReconfiguredEvent"},
		[]string{"host.NetworkSystem.updatePortGroup", "host.NetworkSystem.updateVirtualSwitch",
			"dvs.DistributedVirtualPortgroup.reconfigure", "dvs.VmwareDistributedVirtualSwitch.reconfigure"}},
}

// kindIndex is causeTypes by type, events and tasks apart.
type kindIndex struct{ events, tasks map[string]Kind }

func newKindIndex() kindIndex {
	ix := kindIndex{events: map[string]Kind{}, tasks: map[string]Kind{}}
	for _, c := range causeTypes {
		for _, t := range c.events {
			ix.events[t] = c.kind
		}
		for _, t := range c.tasks {
			ix.tasks[t] = c.kind
		}
	}
	return ix
}

// kindOf classifies e; ok is false when e is no cause of a failover.
func (ix kindIndex) kindOf(e facts.Event) (Kind, bool) {
	m := ix.events
	if e.Task {
		m = ix.tasks
	}
	k, ok := m[e.Type]
	if k == KindNIC && e.NICChange == "" {
		return "", false
	}
	return k, ok
}

// EventTypes are the vCenter event types that can be causes, sorted: the
// event filter of the history explain asks for (tasks are filtered here).
func EventTypes() []string {
	var ts []string
	for _, c := range causeTypes {
		ts = append(ts, c.events...)
	}
	slices.Sort(ts)
	return ts
}

// kindOrder is a kind's place in causeTypes (none last).
func kindOrder(k Kind) int {
	for i, c := range causeTypes {
		if c.kind == k {
			return i
		}
	}
	return len(causeTypes)
}
