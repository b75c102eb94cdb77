// Package explain answers "why did CARP fail over?": it correlates each
// CARP transition (package internal/transition) with what vCenter recorded
// of the pair's VMs, hosts and portgroups around it (vsphere/facts.Event:
// events from the EventManager, tasks from the TaskManager), and names the
// likely causes, nearest first, with advice from the measured facts
// (architecture: Explain).
//
// It is a pure core, as package preflight is: transitions and events in,
// a Report out; no govmomi, no clock, no I/O. Which vCenter event and task
// types are causes, and of which kind, is listed once, in kinds.go.
package explain
