package facts

import "time"

// EntityKind says what a vCenter event or task is about.
type EntityKind string

// Entity kinds of a pair's history.
const (
	EntityVM      EntityKind = "vm"
	EntityHost    EntityKind = "host"
	EntityNetwork EntityKind = "network" // a portgroup, standard or distributed
)

// Event is one vCenter event, or one task, of a pair's VMs, hosts or
// portgroups: what `carpvm explain` correlates with CARP transitions.
type Event struct {
	// Type is the event's type ("VmMigratedEvent"; an EventEx's or
	// ExtendedEvent's eventTypeId, "esx.problem.net.vmnic.linkstate.down"),
	// or a task's descriptionId ("VirtualMachine.createSnapshot").
	Type string `json:"type"`
	// Task is true for a task (TaskManager history), false for an event.
	Task bool `json:"task,omitempty"`
	// Key is the event's key or the task's, as vCenter numbers them.
	Key string `json:"key,omitempty"`
	// Kind and Entity name what it is about: the VM's, host's or
	// portgroup's name.
	Kind   EntityKind `json:"kind"`
	Entity string     `json:"entity"`
	// Time is when the event was created, or the task started (queued,
	// when it never started).
	Time time.Time `json:"time"`
	// End is when a task completed; zero for an event or a task still
	// running.
	End time.Time `json:"end,omitempty"`
	// Detail is vCenter's message (an event's fullFormattedMessage, a
	// task's name and state).
	Detail string `json:"detail,omitempty"`
	// NICChange, for a VM reconfiguration, says what it did to a network
	// adapter ("Network adapter 1 disconnected"); empty when it changed
	// none.
	NICChange string `json:"nic_change,omitempty"`
}
