package fix

import "fmt"

// Scope is where security settings are changed.
type Scope string

// Scopes.
const (
	// ScopePortgroup overrides the setting on the routers' portgroups only.
	ScopePortgroup Scope = "portgroup"
	// ScopeVSwitch sets it on the portgroups' vSwitch, for all its portgroups.
	ScopeVSwitch Scope = "vswitch"
)

// DVSMode is how a distributed portgroup lets the routers receive frames
// for the CARP virtual MAC.
type DVSMode string

// DVS modes.
const (
	// DVSPromiscuous accepts promiscuous mode, MAC changes and forged transmits.
	DVSPromiscuous DVSMode = "promiscuous"
	// DVSMACLearning turns MAC learning on (vSphere 6.7+) with MAC changes
	// and forged transmits, and leaves promiscuous mode as it is.
	DVSMACLearning DVSMode = "mac-learning"
)

// Options are the --fix flags.
type Options struct {
	Scope   Scope
	DVSMode DVSMode
	// Mandatory makes a new anti-affinity rule a must-rule.
	Mandatory bool
	// Relocate allows migrating a router to another host of its cluster.
	Relocate bool
	// SetVMAC allows setting the routers' NICs to the network's vmac
	// (disruptive: the NICs are reconfigured).
	SetVMAC bool
}

// withDefaults fills unset options and validates them.
func (o Options) withDefaults() (Options, error) {
	switch o.Scope {
	case "":
		o.Scope = ScopePortgroup
	case ScopePortgroup, ScopeVSwitch:
	default:
		return o, fmt.Errorf("fix: --scope %q: want portgroup or vswitch", o.Scope)
	}
	switch o.DVSMode {
	case "":
		o.DVSMode = DVSPromiscuous
	case DVSPromiscuous, DVSMACLearning:
	default:
		return o, fmt.Errorf("fix: --dvs-mode %q: want promiscuous or mac-learning", o.DVSMode)
	}
	return o, nil
}

// ParseScope parses a --scope value.
func ParseScope(s string) (Scope, error) {
	o, err := Options{Scope: Scope(s)}.withDefaults()
	return o.Scope, err
}

// ParseDVSMode parses a --dvs-mode value.
func ParseDVSMode(s string) (DVSMode, error) {
	o, err := Options{DVSMode: DVSMode(s)}.withDefaults()
	return o.DVSMode, err
}
