package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The history real vCenter keeps of the operations carpvm and govc
// perform, where vcsim's differs (its models stay unmodified; these are
// seams around them):
//   - vcsim names some tasks by its own method names: realTaskIDs gives
//     them vCenter's descriptionIds (what TaskManager.description lists).
//   - vCenter lists the host network changes made through it (the
//     security policy carpvm's --fix writes) as tasks of the host;
//     recordHostTask makes them.
//   - A host losing its connection and an HA restart are no operation a
//     client performs: LoseHost and RestartByHA post their events.

// realTaskIDs maps vcsim's task descriptionIds to vCenter's. vcsim runs
// CreateSnapshot_Task as CreateSnapshotEx_Task; carpvm and govc call the
// former, so the simulator names it so.
var realTaskIDs = map[string][2]string{ // vcsim id -> {vCenter id, method}
	"VirtualMachine.createSnapshotEx":                    {"VirtualMachine.createSnapshot", "CreateSnapshot_Task"},
	"VirtualMachine.removeSnapshot":                      {"vm.Snapshot.remove", "RemoveSnapshot_Task"},
	"VirtualMachine.RemoveAllSnapshots":                  {"VirtualMachine.removeAllSnapshots", "RemoveAllSnapshots_Task"},
	"VirtualMachine.revertToSnapshot":                    {"vm.Snapshot.revert", "RevertToSnapshot_Task"},
	"VirtualMachine.revertSnapshot":                      {"VirtualMachine.revertToCurrentSnapshot", "RevertToCurrentSnapshot_Task"},
	"VirtualMachine.reconfigVm":                          {"VirtualMachine.reconfigure", "ReconfigVM_Task"},
	"VirtualMachine.relocateVm":                          {"VirtualMachine.relocate", "RelocateVM_Task"},
	"VirtualMachine.cloneVm":                             {"VirtualMachine.clone", "CloneVM_Task"},
	"DistributedVirtualPortgroup.reconfigureDvPortgroup": {"dvs.DistributedVirtualPortgroup.reconfigure", "ReconfigureDVPortgroup_Task"},
	"VmwareDistributedVirtualSwitch.reconfigureDvs":      {"dvs.VmwareDistributedVirtualSwitch.reconfigure", "ReconfigureDvs_Task"},
}

// taskNamer is a registry handler that gives every new task vCenter's
// descriptionId. It runs when the task is put in the registry, before the
// task's goroutine starts; the task history holds the task itself, so it
// reads the new name.
type taskNamer struct{ self types.ManagedObjectReference }

func (n *taskNamer) Reference() types.ManagedObjectReference { return n.self }

func (n *taskNamer) PutObject(_ *simulator.Context, obj mo.Reference) {
	t, ok := obj.(*simulator.Task)
	if !ok {
		return
	}
	if real, ok := realTaskIDs[t.Info.DescriptionId]; ok {
		t.Info.DescriptionId, t.Info.Name = real[0], real[1]
	}
}

func (*taskNamer) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}
func (*taskNamer) RemoveObject(*simulator.Context, types.ManagedObjectReference)         {}

// nameTasks installs the taskNamer in r.
func nameTasks(r *simulator.Registry) {
	r.AddHandler(&taskNamer{self: types.ManagedObjectReference{Type: "CarpvmTaskNamer", Value: "carpvm-task-namer"}})
}

// recordHostTask records a finished task of host, as vCenter does for a
// host method called through it (host.NetworkSystem.updatePortGroup).
// Call it after the change, holding no lock of the host. The in-process
// client that builds the inventory has no user: its changes are the
// topology, not operations, and leave no task.
func recordHostTask(ctx *simulator.Context, host types.ManagedObjectReference, descriptionID, method string) {
	if ctx.Session == nil || ctx.Session.UserName == "" {
		return
	}
	h, ok := ctx.Map.Get(host).(*simulator.HostSystem)
	if !ok {
		return
	}
	t := simulator.CreateTask(h, method, func(*simulator.Task) (types.AnyType, types.BaseMethodFault) { return nil, nil })
	t.Info.DescriptionId, t.Info.Name, t.Info.EntityName = descriptionID, method, h.Name
	t.Run(ctx)
}

// LoseHost posts what vCenter posts when host stops answering: a
// HostConnectionLostEvent ("Host ... is not responding"). The host's state
// is left alone (the simulator has no heartbeat to lose).
func (s *Server) LoseHost(host string) error {
	sc := s.eventContext()
	h, ok := sc.Map.FindByName(host, s.hostRefs(sc)).(*simulator.HostSystem)
	if !ok {
		return fmt.Errorf("sim: no host named %q", host)
	}
	ev := types.HostEvent{Event: types.Event{Host: &types.HostEventArgument{Host: h.Self, EntityEventArgument: types.EntityEventArgument{Name: h.Name}},
		FullFormattedMessage: "Host " + h.Name + " is not responding"}}
	post(sc, &types.HostConnectionLostEvent{HostEvent: ev})
	return nil
}

// RestartByHA posts what vCenter posts when vSphere HA restarts vm after
// its host failed: a VmRestartedOnAlternateHostEvent naming the host it
// ran on. The VM itself stays where it is.
func (s *Server) RestartByHA(vm string) error {
	sc := s.eventContext()
	v, ok := sc.Map.FindByName(vm, s.vmRefs(sc)).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("sim: no VM named %q", vm)
	}
	src := types.HostEventArgument{Host: *v.Runtime.Host, EntityEventArgument: types.EntityEventArgument{Name: sc.Map.Get(*v.Runtime.Host).(*simulator.HostSystem).Name}}
	post(sc, &types.VmRestartedOnAlternateHostEvent{
		VmPoweredOnEvent: types.VmPoweredOnEvent{VmEvent: types.VmEvent{Event: types.Event{
			Vm:                   &types.VmEventArgument{Vm: v.Self, EntityEventArgument: types.EntityEventArgument{Name: v.Name}},
			Host:                 &src,
			FullFormattedMessage: "vSphere HA restarted virtual machine " + v.Name,
		}}},
		SourceHost: src,
	})
	return nil
}

// eventContext is a context for posting events outside any client call.
func (s *Server) eventContext() *simulator.Context {
	return &simulator.Context{Context: context.Background(), Map: s.model.Service.Context.Map,
		Session: &simulator.Session{UserSession: types.UserSession{UserName: "vpxd-extension", LoginTime: time.Now()}}}
}

func (s *Server) hostRefs(sc *simulator.Context) []types.ManagedObjectReference {
	return refsOf(sc, "HostSystem")
}

func (s *Server) vmRefs(sc *simulator.Context) []types.ManagedObjectReference {
	return refsOf(sc, "VirtualMachine")
}

func refsOf(sc *simulator.Context, kind string) []types.ManagedObjectReference {
	var refs []types.ManagedObjectReference
	for _, o := range sc.Map.All(kind) {
		refs = append(refs, o.Reference())
	}
	return refs
}

// post posts events through the EventManager, holding its lock as vcsim
// does.
func post(sc *simulator.Context, events ...types.BaseEvent) {
	m := sc.Map.EventManager()
	sc.WithLock(m, func() {
		for _, e := range events {
			m.PostEvent(sc, &types.PostEvent{EventToPost: e})
		}
	})
}
