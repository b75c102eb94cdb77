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

// FixPlan narrows what is broader on the switches: each vSwitch-level or
// distributed-switch-level Accept a router portgroup needs becomes an
// Accept override on the router portgroups that need it, then the switch
// goes back to Reject (and its other portgroups with it, as they
// inherit). Every override comes before any switch change, so CARP never
// loses a setting it needs. What is unjustified, and a router portgroup
// shared with other VMs, are left to the operator: the report says how
// (Exception.Fix).
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
				note := inheritNote("portgroup", pgs, vd.needing)
				rejects = append(rejects, change.Change{
					Object: fmt.Sprintf("vswitch %s on %s", vs.Name, h.Name), Setting: setting,
					Current: "Accept", Desired: "Reject", Check: string(c), Note: note,
					Target: change.Target{Kind: change.KindVSwitch, Host: h.Name, HostRef: h.Ref, Name: vs.Name},
					Value:  change.Value{Bool: change.Bool(false)},
				})
			}
		}
	}
	dvOverrides, dvRejects := a.distributedFixes()
	overrides = append(overrides, dvOverrides...)
	rejects = append(rejects, dvRejects...)
	return append(overrides, rejects...)
}

// distributedFixes plans the narrowing of each broader distributed switch:
// Accept set on the router dvportgroups that need it, then Reject on the
// switch. A router dvportgroup that inherited its MAC management policy
// holds the policy's every value once one is set on it, so a value it
// does not need, which the switch goes back to Reject for, is set to
// Reject on it too: the portgroup keeps only what CARP needs there.
func (a *auditor) distributedFixes() (overrides, rejects []change.Change) {
	for _, pgs := range bySwitch(a.inv.DVPortgroups) {
		sw := pgs[0]
		byName := map[string]*facts.DVPortgroup{}
		for i := range pgs {
			byName[pgs[i].Name] = &pgs[i]
		}
		needs := map[string][]preflight.Check{} // router dvportgroup -> settings to set Accept on it
		var order []string
		var narrowed []preflight.Check
		for _, c := range securityChecks {
			if accept, _ := switchValue(sw, c); !accept {
				continue
			}
			names, learning := dvInheritors(pgs, c)
			vd := a.switchVerdict(sw.Switch, names, c, func(pg string) bool { return learning[pg] })
			if vd.class != Broader {
				continue
			}
			narrowed = append(narrowed, c)
			for _, pg := range vd.needing {
				if _, seen := needs[pg]; !seen {
					order = append(order, pg)
				}
				needs[pg] = append(needs[pg], c)
			}
			note := inheritNote("dvportgroup", names, vd.needing)
			rejects = append(rejects, change.Change{
				Object: "dvswitch " + sw.Switch, Setting: changeSetting(c),
				Current: "Accept", Desired: "Reject", Check: string(c), Note: note,
				Target: change.Target{Kind: change.KindDVSwitch, Name: sw.Switch, Ref: sw.SwitchRef},
				Value:  change.Value{Bool: change.Bool(false)},
			})
		}
		for _, name := range order {
			pg := byName[name]
			target := change.Target{Kind: change.KindDVPortgroup, Name: pg.Name, Ref: pg.Key, Switch: pg.Switch}
			object := fmt.Sprintf("dvportgroup %s on %s", pg.Name, pg.Switch)
			for _, c := range needs[name] {
				overrides = append(overrides, change.Change{
					Object: object, Setting: changeSetting(c),
					Current: "Accept, inherited from " + sw.Switch, Desired: "Accept, set on the dvportgroup",
					Check: string(c), Network: networkOn(a, pg.Name, c), Target: target,
					Value: change.Value{Bool: change.Bool(true)},
				})
			}
			if pg.MACManagement == nil || !pg.MACManagement.Inherited {
				continue
			}
			for _, c := range narrowed {
				if slices.Contains(needs[name], c) {
					continue
				}
				if e, _ := preflight.DistributedEffective(pg, c); e.Inherited && e.Accept {
					overrides = append(overrides, change.Change{
						Object: object, Setting: changeSetting(c),
						Current: "Accept, inherited from " + sw.Switch, Desired: "Reject, set on the dvportgroup",
						Check: string(c), Note: "not needed here; its MAC management policy is set on it from now on",
						Target: target, Value: change.Value{Bool: change.Bool(false)},
					})
				}
			}
		}
	}
	return overrides, rejects
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

// inheritNote says which of the inheriting portgroups (of kind) go back
// to Reject with their switch: those that do not need the setting.
func inheritNote(kind string, inheriting, needing []string) string {
	var others []string
	for _, pg := range inheriting {
		if !slices.Contains(needing, pg) {
			others = append(others, pg)
		}
	}
	if len(others) == 0 {
		return "no other " + kind + " inherits it"
	}
	return "then Reject on " + strings.Join(others, ", ") + " too (they inherit it)"
}
