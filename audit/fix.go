package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// FixPlan narrows what is broader on the standard vSwitches: each
// vSwitch-level Accept a router portgroup needs becomes an Accept override
// on the router portgroups that need it, then the vSwitch goes back to
// Reject (and its other portgroups with it, as they inherit). Every
// override comes before any vSwitch change, so CARP never loses a setting
// it needs. What is unjustified, a broader distributed switch, and a
// router portgroup shared with other VMs are left to the operator: the
// report says how (Exception.Fix).
func FixPlan(pairs []*config.Config, inv *facts.Inventory) []change.Change {
	if inv == nil {
		return nil
	}
	a := newAuditor(pairs, inv)
	var overrides, rejects []change.Change
	for _, h := range inv.Hosts {
		for _, vs := range h.VSwitches {
			for _, c := range securityChecks {
				if v := securityValue(vs.Security, c); v == nil || !*v {
					continue
				}
				var pgs []string
				for _, pg := range h.Portgroups {
					if pg.VSwitch == vs.Name && securityValue(pg.Override, c) == nil {
						pgs = append(pgs, pg.Name)
					}
				}
				vd := a.switchVerdict(vs.Name, pgs, c, func(string) bool { return false })
				if vd.class != Broader {
					continue
				}
				setting := changeSetting(c)
				for _, pg := range vd.needing {
					overrides = append(overrides, change.Change{
						Object: fmt.Sprintf("portgroup %s on %s", pg, h.Name), Setting: setting,
						Current: "Accept, inherited from " + vs.Name, Desired: "Accept, set on the portgroup",
						Check: string(c), Network: networkOn(a, pg, c),
						Target: change.Target{Kind: change.KindPortgroup, Host: h.Name, HostRef: h.Ref, Name: pg, Switch: vs.Name},
						Value:  change.Value{Bool: change.Bool(true)},
					})
				}
				var others []string
				for _, pg := range pgs {
					if !slices.Contains(vd.needing, pg) {
						others = append(others, pg)
					}
				}
				note := "no other portgroup inherits it"
				if len(others) > 0 {
					note = "then Reject on " + strings.Join(others, ", ") + " too (they inherit it)"
				}
				rejects = append(rejects, change.Change{
					Object: fmt.Sprintf("vswitch %s on %s", vs.Name, h.Name), Setting: setting,
					Current: "Accept", Desired: "Reject", Check: string(c), Note: note,
					Target: change.Target{Kind: change.KindVSwitch, Host: h.Name, HostRef: h.Ref, Name: vs.Name},
					Value:  change.Value{Bool: change.Bool(false)},
				})
			}
		}
	}
	return append(overrides, rejects...)
}

// networkOn is the configured network on portgroup pg that needs c.
func networkOn(a *auditor, pg string, c preflight.Check) string {
	for _, pn := range a.byPG[pg] {
		if a.needOf(pn, c, false).Needed {
			return pn.net.Name
		}
	}
	return ""
}

func changeSetting(c preflight.Check) change.Setting {
	switch c {
	case preflight.CheckPromiscuous:
		return change.SettingPromiscuous
	case preflight.CheckMACChanges:
		return change.SettingMACChanges
	default:
		return change.SettingForgedTransmits
	}
}
