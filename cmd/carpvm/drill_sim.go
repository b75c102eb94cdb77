package main

import (
	"slices"
	"strings"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/workflow"
)

// simTopology checks the --sim flags and returns the topology to start,
// "" without --sim.
func (o *drillOptions) simTopology(trigger failover.Trigger) (string, error) {
	if !o.Sim {
		if o.Topology != "default" {
			return "", usageError("drill --topology needs --sim")
		}
		return "", o.checkNoWitness(trigger)
	}
	if o.NoWitness {
		return "", usageError("drill --sim --no-witness: --sim has no witness already; --no-witness is for a vCenter (--config)")
	}
	if !slices.Contains(workflow.Topologies(), o.Topology) {
		return "", usageError("drill --topology %q: want one of %s", o.Topology, strings.Join(workflow.Topologies(), ", "))
	}
	if err := failover.CheckUnwitnessed(trigger); err != nil {
		return "", usageError("drill --sim: %v", err)
	}
	for flag, set := range map[string]bool{"--interface": len(o.Interfaces) > 0, "--command": o.Command != "", "--metrics-file": o.MetricsFile != "", "--history": o.History != ""} {
		if set {
			return "", usageError("drill --sim: %s does not apply: the simulator has no CARP segment to watch, and a drill that measured no takeover is not recorded", flag)
		}
	}
	return o.Topology, nil
}

// checkNoWitness checks the flags of a drill of a vCenter without a
// witness (--no-witness): a trigger vSphere can read back, and nothing
// that only a measured drill has.
func (o *drillOptions) checkNoWitness(trigger failover.Trigger) error {
	if !o.NoWitness {
		return nil
	}
	if err := failover.CheckUnwitnessed(trigger); err != nil {
		return usageError("drill --no-witness: %v", err)
	}
	for flag, set := range map[string]bool{"--interface": len(o.Interfaces) > 0, "--metrics-file": o.MetricsFile != ""} {
		if set {
			return usageError("drill --no-witness: %s does not apply: no witness watches the segment, and a drill that measured no takeover is not recorded", flag)
		}
	}
	return nil
}
