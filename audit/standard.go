package audit

import (
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// standard audits one host's vSwitches and portgroups. A vSwitch's
// Accept is one row, reaching every portgroup that inherits it; a
// portgroup gets a row of its own where it sets the value itself, or
// where it is a router portgroup (so that the auditor sees each router
// portgroup's reason, whatever it inherits).
func (a *auditor) standard(h facts.Host) {
	for _, vs := range h.VSwitches {
		for _, c := range securityChecks {
			v := securityValue(vs.Security, c)
			if v == nil || !*v {
				continue
			}
			var pgs, vms []string
			for _, pg := range h.Portgroups {
				if pg.VSwitch == vs.Name && securityValue(pg.Override, c) == nil {
					pgs = append(pgs, pg.Name)
					vms = append(vms, a.vmsOn(pg.Name, facts.KindStandard, h.Name)...)
				}
			}
			vd := a.switchVerdict(vs.Name, pgs, c, func(string) bool { return false })
			a.add(Exception{
				Object: fmt.Sprintf("vswitch %s on %s", vs.Name, h.Name), Kind: KindVSwitch, Host: h.Name,
				Setting: settingName(c), Value: acceptWord(true), Source: "set here",
				Class: vd.class, Reaches: reaches("portgroup", pgs, vms), Rules: rules(false, c),
				Pair: vd.pair, Network: vd.network, Reason: vd.reason,
				Fix: vswitchFix(h.Name, vs.Name, c, vd),
			})
		}
	}
	for _, pg := range h.Portgroups {
		for _, c := range securityChecks {
			e, _ := preflight.StandardEffective(h, pg, c)
			if !e.Known || !e.Accept || e.Inherited && len(a.byPG[pg.Name]) == 0 {
				continue
			}
			vms := a.vmsOn(pg.Name, facts.KindStandard, h.Name)
			vd := a.portgroupVerdict(pg.Name, c, false, vms)
			a.add(Exception{
				Object: fmt.Sprintf("portgroup %s on %s", pg.Name, h.Name), Kind: KindPortgroup, Host: h.Name,
				Setting: settingName(c), Value: acceptWord(true), Source: source(e),
				Class: vd.class, Reaches: reaches("portgroup", []string{pg.Name}, vms), Rules: rules(false, c),
				Pair: vd.pair, Network: vd.network, Reason: vd.reason,
				Fix: portgroupFix(h.Name, pg, c, e, vd),
			})
		}
	}
}

func securityValue(s facts.Security, c preflight.Check) *bool {
	switch c {
	case preflight.CheckPromiscuous:
		return s.Promiscuous
	case preflight.CheckMACChanges:
		return s.MacChanges
	default:
		return s.ForgedTransmits
	}
}

func source(e preflight.Effective) string {
	if e.Inherited {
		return e.Source
	}
	return "set here"
}

func vswitchFix(host, vs string, c preflight.Check, vd verdict) string {
	label := preflight.SettingLabel(c)
	if vd.class == Broader {
		return fmt.Sprintf("carpvm audit --fix (on host %s it overrides %s to Accept on portgroup %s, then sets it to Reject on %s; its other portgroups then inherit Reject)",
			host, label, strings.Join(vd.needing, ", "), vs)
	}
	return fmt.Sprintf("On host %s, edit %s > Security: set %s to Reject (check first that none of its portgroups relies on it)", host, vs, label)
}

func portgroupFix(host string, pg facts.Portgroup, c preflight.Check, e preflight.Effective, vd verdict) string {
	label := preflight.SettingLabel(c)
	if vd.class == Broader {
		return sharedFix(fmt.Sprintf("govc host.portgroup.add -host %s -vswitch %s -vlan %d %q", host, pg.VSwitch, pg.VLAN, pg.Name+"-servers"), pg.Name, vd.others)
	}
	if e.Inherited {
		return fmt.Sprintf("On host %s, edit portgroup %s > Security: override %s and set it to Reject (it inherits Accept from %s)", host, pg.Name, label, pg.VSwitch)
	}
	return fmt.Sprintf("On host %s, edit portgroup %s > Security: set %s to Reject, or untick Override to inherit it from %s if that rejects it", host, pg.Name, label, pg.VSwitch)
}
