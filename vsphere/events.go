package vsphere

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/facts"
)

// HistoryScope is what History asks vCenter about: the pair's VMs (and
// the hosts they run on), its portgroups, a time range, and which event
// types to return (none: every type). Tasks are not filtered by type:
// TaskFilterSpec cannot.
type HistoryScope struct {
	VMs, Portgroups []string
	Begin, End      time.Time
	EventTypes      []string
}

// historyPage is how many events or tasks one read returns: vCenter's
// largest page.
const historyPage = 1000

// History reads the events and tasks of scope's VMs, their hosts and
// scope's portgroups between Begin and End, oldest first, each once. Its
// round trips do not depend on the inventory's size but for paging: three
// to find the entities (Gather's inventory read, one more per further page
// of 1,000 objects), then per entity an event and a task
// history collector filtered by that entity and the time range (create,
// one read per page of 1,000, destroy): 3 per collector when fewer than
// 1,000 match. A new collector reads from its oldest item; it is not
// rewound, as vcsim's RewindCollector would then skip that item. A VM not
// found is an error naming it.
func (s *Session) History(ctx context.Context, scope HistoryScope) ([]facts.Event, error) {
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	ents, err := historyEntities(inv, scope)
	if err != nil {
		return nil, err
	}
	var out []facts.Event
	seen := map[string]bool{}
	add := func(e facts.Event) {
		id := strconv.FormatBool(e.Task) + e.Key
		if !seen[id] {
			seen[id] = true
			out = append(out, e)
		}
	}
	for _, ent := range ents {
		evs, err := entityEvents(ctx, s.client, ent, scope)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			add(e)
		}
		tasks, err := entityTasks(ctx, s.client, ent, scope)
		if err != nil {
			return nil, err
		}
		for _, e := range tasks {
			add(e)
		}
	}
	slices.SortStableFunc(out, func(a, b facts.Event) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// historyEntity is one VM, host or network whose history is read.
type historyEntity struct {
	ref  types.ManagedObjectReference
	kind facts.EntityKind
	name string
}

// historyEntities finds scope's VMs, their hosts and its portgroups in
// inv, VMs first.
func historyEntities(inv *inventory, scope HistoryScope) ([]historyEntity, error) {
	var ents []historyEntity
	hosts := map[types.ManagedObjectReference]bool{}
	for _, name := range scope.VMs {
		found := false
		for ref, vm := range inv.vms {
			if vm.name != name {
				continue
			}
			found = true
			ents = append(ents, historyEntity{ref: ref, kind: facts.EntityVM, name: name})
			if h := vm.host; h != nil {
				hosts[*h] = true
			}
		}
		if !found {
			return nil, fmt.Errorf("vsphere: history: no VM named %q", name)
		}
	}
	for ref := range hosts {
		name := ref.Value
		if h, ok := inv.hosts[ref]; ok {
			name = h.name
		}
		ents = append(ents, historyEntity{ref: ref, kind: facts.EntityHost, name: name})
	}
	for ref, name := range inv.networks {
		if slices.Contains(scope.Portgroups, name) {
			ents = append(ents, historyEntity{ref: ref, kind: facts.EntityNetwork, name: name})
		}
	}
	// Map order is random: keep the order of the round trips stable.
	slices.SortStableFunc(ents, func(a, b historyEntity) int {
		if a.kind != b.kind {
			return strings.Compare(kindRank(a.kind), kindRank(b.kind))
		}
		return strings.Compare(a.name+a.ref.Value, b.name+b.ref.Value)
	})
	return ents, nil
}

func kindRank(k facts.EntityKind) string {
	return map[facts.EntityKind]string{facts.EntityVM: "1", facts.EntityHost: "2", facts.EntityNetwork: "3"}[k]
}

func entityEvents(ctx context.Context, c *vim25.Client, ent historyEntity, scope HistoryScope) ([]facts.Event, error) {
	op := "read the events of " + ent.name
	filter := types.EventFilterSpec{
		Entity:      &types.EventFilterSpecByEntity{Entity: ent.ref, Recursion: types.EventFilterSpecRecursionOptionSelf},
		Time:        &types.EventFilterSpecByTime{BeginTime: &scope.Begin, EndTime: &scope.End},
		EventTypeId: scope.EventTypes,
		MaxCount:    historyPage,
	}
	res, err := methods.CreateCollectorForEvents(ctx, c, &types.CreateCollectorForEvents{This: *c.ServiceContent.EventManager, Filter: filter})
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	return drainCollector(ctx, c, op, res.Returnval, func(ctx context.Context, coll types.ManagedObjectReference) ([]facts.Event, error) {
		page, err := methods.ReadNextEvents(ctx, c, &types.ReadNextEvents{This: coll, MaxCount: historyPage})
		if err != nil {
			return nil, err
		}
		out := make([]facts.Event, 0, len(page.Returnval))
		for _, be := range page.Returnval {
			out = append(out, eventFact(be, ent))
		}
		return out, nil
	})
}

func entityTasks(ctx context.Context, c *vim25.Client, ent historyEntity, scope HistoryScope) ([]facts.Event, error) {
	op := "read the tasks of " + ent.name
	filter := types.TaskFilterSpec{
		Entity: &types.TaskFilterSpecByEntity{Entity: ent.ref, Recursion: types.TaskFilterSpecRecursionOptionSelf},
		Time: &types.TaskFilterSpecByTime{TimeType: types.TaskFilterSpecTimeOptionQueuedTime,
			BeginTime: &scope.Begin, EndTime: &scope.End},
	}
	res, err := methods.CreateCollectorForTasks(ctx, c, &types.CreateCollectorForTasks{This: *c.ServiceContent.TaskManager, Filter: filter})
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	return drainCollector(ctx, c, op, res.Returnval, func(ctx context.Context, coll types.ManagedObjectReference) ([]facts.Event, error) {
		page, err := methods.ReadNextTasks(ctx, c, &types.ReadNextTasks{This: coll, MaxCount: historyPage})
		if err != nil {
			return nil, err
		}
		out := make([]facts.Event, 0, len(page.Returnval))
		for _, ti := range page.Returnval {
			out = append(out, taskFact(ti, ent))
		}
		return out, nil
	})
}

// drainCollector reads a history collector page by page until a short
// page, then destroys it (even when ctx is cancelled: a collector left
// behind counts against vCenter's per-session limit).
func drainCollector(ctx context.Context, c *vim25.Client, op string, coll types.ManagedObjectReference,
	readNext func(context.Context, types.ManagedObjectReference) ([]facts.Event, error)) ([]facts.Event, error) {
	defer func() {
		_, _ = methods.DestroyCollector(context.WithoutCancel(ctx), c, &types.DestroyCollector{This: coll})
	}()
	var out []facts.Event
	for {
		page, err := readNext(ctx, coll)
		if err != nil {
			return nil, &Error{Op: op, Err: err}
		}
		out = append(out, page...)
		if len(page) < historyPage {
			return out, nil
		}
	}
}

// eventFact is a vCenter event as plain data.
func eventFact(be types.BaseEvent, ent historyEntity) facts.Event {
	e := be.GetEvent()
	f := facts.Event{Type: eventType(be), Key: strconv.Itoa(int(e.Key)), Kind: ent.kind, Entity: ent.name,
		Time: e.CreatedTime, Detail: e.FullFormattedMessage}
	if rc, ok := be.(*types.VmReconfiguredEvent); ok {
		f.NICChange = nicChange(rc.ConfigSpec)
	}
	return f
}

// eventType is an event's type name, or the eventTypeId of an EventEx or
// ExtendedEvent (whose Go type says nothing).
func eventType(be types.BaseEvent) string {
	switch x := be.(type) {
	case *types.EventEx:
		return x.EventTypeId
	case *types.ExtendedEvent:
		return x.EventTypeId
	}
	return reflect.TypeOf(be).Elem().Name()
}

// taskFact is a task as plain data: it ran from its start (or queueing)
// to its completion.
func taskFact(ti types.TaskInfo, ent historyEntity) facts.Event {
	f := facts.Event{Type: ti.DescriptionId, Task: true, Key: ti.Key, Kind: ent.kind, Entity: ent.name,
		Time: ti.QueueTime, Detail: fmt.Sprintf("task %s: %s", ti.Name, ti.State)}
	if ti.StartTime != nil {
		f.Time = *ti.StartTime
	}
	if ti.CompleteTime != nil {
		f.End = *ti.CompleteTime
	}
	if ti.Error != nil {
		f.Detail += " (" + ti.Error.LocalizedMessage + ")"
	}
	return f
}

// nicChange says what a reconfiguration spec did to network adapters:
// added, removed, connected, disconnected, or moved to another network.
func nicChange(spec types.VirtualMachineConfigSpec) string {
	var parts []string
	for _, bdc := range spec.DeviceChange {
		dc := bdc.GetVirtualDeviceConfigSpec()
		card, ok := dc.Device.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		eth := card.GetVirtualEthernetCard()
		name := fmt.Sprintf("network adapter %d", eth.Key)
		if eth.DeviceInfo != nil && eth.DeviceInfo.GetDescription().Label != "" {
			name = eth.DeviceInfo.GetDescription().Label
		}
		switch dc.Operation {
		case types.VirtualDeviceConfigSpecOperationAdd:
			parts = append(parts, name+" added")
		case types.VirtualDeviceConfigSpecOperationRemove:
			parts = append(parts, name+" removed")
		default:
			part := name + " edited"
			if eth.Connectable != nil && !eth.Connectable.Connected {
				part = name + " disconnected"
			} else if eth.Connectable != nil {
				part = name + " connected"
			}
			switch b := eth.Backing.(type) {
			case *types.VirtualEthernetCardNetworkBackingInfo:
				part += " (on " + b.DeviceName + ")"
			case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
				part += " (on distributed portgroup " + b.Port.PortgroupKey + ")"
			}
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, ", ")
}
