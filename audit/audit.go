package audit

import (
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// Class says whether a configured pair justifies an exception.
type Class string

// Classes, from fine to worst.
const (
	Justified   Class = "justified"
	Broader     Class = "broader"
	Unjustified Class = "unjustified"
)

// Kind is the kind of object an exception is set on or reaches.
type Kind string

// Object kinds.
const (
	KindVSwitch     Kind = "vswitch"
	KindPortgroup   Kind = "portgroup"
	KindDVSwitch    Kind = "dvswitch"
	KindDVPortgroup Kind = "dvportgroup"
)

// Exception is one security setting that is not Reject on one object.
// The JSON field names are a contract (docs/architecture.md).
type Exception struct {
	// Target names the vCenter, without credentials.
	Target string `json:"target"`
	// Object names it with its kind: "portgroup IntraNought on esxi-01".
	Object string `json:"object"`
	Kind   Kind   `json:"kind"`
	Host   string `json:"host,omitempty"`
	// Setting is promiscuous, mac_changes or forged_transmits.
	Setting string `json:"setting"`
	Value   string `json:"value"`
	// Source is "set here", or where the value is inherited from.
	Source string `json:"source"`
	Class  Class  `json:"class"`
	// Reaches lists the portgroups and VMs the setting applies to.
	Reaches []string `json:"reaches"`
	// Rules are the baseline rules it departs from, by their own IDs.
	Rules []string `json:"rules"`
	// Pair and Network name the configured network that needs it; empty
	// when none does.
	Pair    string `json:"pair"`
	Network string `json:"network"`
	// Reason says why it is justified, or why not.
	Reason string `json:"reason"`
	// Fix says how to remediate; empty when justified.
	Fix string `json:"fix"`
}

// Summary counts the exceptions by class.
type Summary struct {
	Justified   int `json:"justified"`
	Broader     int `json:"broader"`
	Unjustified int `json:"unjustified"`
}

// Report is the audit document of docs/architecture.md.
type Report struct {
	// Targets are the vCenters read, in order.
	Targets []string `json:"targets"`
	// Pairs are the configured pairs that justify exceptions.
	Pairs      []string    `json:"pairs"`
	Exceptions []Exception `json:"exceptions"`
	Summary    Summary     `json:"summary"`
}

// Failed reports whether any exception is not justified.
func (r Report) Failed() bool { return r.Summary.Broader+r.Summary.Unjustified > 0 }

// Run audits one vCenter's inventory: every setting that is not Reject,
// classed by the configured pairs (a setting any of them needs is
// justified on its router portgroups). A nil inv is an empty inventory.
func Run(pairs []*config.Config, inv *facts.Inventory) Report {
	if inv == nil {
		inv = &facts.Inventory{}
	}
	a := newAuditor(pairs, inv)
	for _, h := range inv.Hosts {
		a.standard(h)
	}
	a.distributed()
	return Merge(Report{Targets: []string{inv.Target}, Pairs: a.pairNames(), Exceptions: a.out})
}

// Merge joins the reports of several vCenters into one, counted again.
func Merge(reports ...Report) Report {
	out := Report{Targets: []string{}, Pairs: []string{}, Exceptions: []Exception{}}
	for _, r := range reports {
		out.Targets = appendNew(out.Targets, r.Targets...)
		out.Pairs = appendNew(out.Pairs, r.Pairs...)
		out.Exceptions = append(out.Exceptions, r.Exceptions...)
	}
	for _, e := range out.Exceptions {
		switch e.Class {
		case Justified:
			out.Summary.Justified++
		case Broader:
			out.Summary.Broader++
		default:
			out.Summary.Unjustified++
		}
	}
	return out
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, have := range list {
			found = found || have == it
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}

// securityChecks are the settings the baselines want Reject, as
// preflight's check IDs, in report order.
var securityChecks = []preflight.Check{preflight.CheckPromiscuous, preflight.CheckMACChanges, preflight.CheckForgedTransmits}

// settingName is the exception's setting: "promiscuous", "mac_changes",
// "forged_transmits".
func settingName(c preflight.Check) string { return strings.TrimPrefix(string(c), "security.") }
