package audit

import (
	"fmt"

	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// distributed audits every distributed switch (its default port policy,
// as its portgroups carry it) and every distributed portgroup, the way
// standard does a host's.
func (a *auditor) distributed() {
	pgs := a.inv.DVPortgroups
	for i := 0; i < len(pgs); {
		j := i
		for j < len(pgs) && pgs[j].Switch == pgs[i].Switch {
			j++
		}
		a.dvSwitch(pgs[i:j])
		for k := i; k < j; k++ {
			a.dvPortgroup(&pgs[k])
		}
		i = j
	}
}

// dvSwitch audits the switch the portgroups pgs (all of one switch) belong to.
func (a *auditor) dvSwitch(pgs []facts.DVPortgroup) {
	sw := pgs[0]
	for _, c := range securityChecks {
		accept, policy := switchValue(sw, c)
		if !accept {
			continue
		}
		var names, vms []string
		learning := map[string]bool{}
		for i := range pgs {
			e, _ := preflight.DistributedEffective(&pgs[i], c)
			if e.Inherited {
				names = append(names, pgs[i].Name)
				vms = append(vms, a.vmsOn(pgs[i].Name, facts.KindDistributed, "")...)
				learning[pgs[i].Name] = e.MACLearning
			}
		}
		vd := a.switchVerdict(sw.Switch, names, c, func(pg string) bool { return learning[pg] })
		fix := fmt.Sprintf("Edit distributed switch %s > default port policies > Security%s: set %s to Reject", sw.Switch, policy, preflight.SettingLabel(c))
		if vd.class == Broader {
			fix = fmt.Sprintf("Set %s to Accept on dvportgroup %v itself (not inherited), then to Reject on distributed switch %s", preflight.SettingLabel(c), vd.needing, sw.Switch)
		}
		a.add(Exception{
			Object: "dvswitch " + sw.Switch, Kind: KindDVSwitch,
			Setting: settingName(c), Value: acceptWord(true), Source: "set here" + policy,
			Class: vd.class, Reaches: reaches("dvportgroup", names, vms), Rules: rules(true, c),
			Pair: vd.pair, Network: vd.network, Reason: vd.reason, Fix: fix,
		})
	}
}

// switchValue is the switch's own default for c: its MAC management
// policy where it has one (it supersedes the security policy), else its
// security policy. policy names the former for the object's words.
func switchValue(pg facts.DVPortgroup, c preflight.Check) (accept bool, policy string) {
	if m := pg.SwitchMACManagement; m != nil {
		switch c {
		case preflight.CheckPromiscuous:
			return m.Promiscuous, " (MAC management policy)"
		case preflight.CheckMACChanges:
			return m.MacChanges, " (MAC management policy)"
		default:
			return m.ForgedTransmits, " (MAC management policy)"
		}
	}
	s := pg.SwitchSecurity.ForgedTransmits
	switch c {
	case preflight.CheckPromiscuous:
		s = pg.SwitchSecurity.Promiscuous
	case preflight.CheckMACChanges:
		s = pg.SwitchSecurity.MacChanges
	}
	return s.Set && s.Value, ""
}

func (a *auditor) dvPortgroup(pg *facts.DVPortgroup) {
	for _, c := range securityChecks {
		e, _ := preflight.DistributedEffective(pg, c)
		if !e.Known || !e.Accept || e.Inherited && len(a.byPG[pg.Name]) == 0 {
			continue
		}
		vms := a.vmsOn(pg.Name, facts.KindDistributed, "")
		vd := a.portgroupVerdict(pg.Name, c, e.MACLearning, vms)
		fix := fmt.Sprintf("Edit dvportgroup %s on %s > Security: set %s to Reject", pg.Name, pg.Switch, preflight.SettingLabel(c))
		if vd.class == Broader {
			fix = fmt.Sprintf("Give the routers a dvportgroup of their own, or move the other VMs off dvportgroup %s", pg.Name)
		}
		a.add(Exception{
			Object: fmt.Sprintf("dvportgroup %s on %s", pg.Name, pg.Switch), Kind: KindDVPortgroup,
			Setting: settingName(c), Value: acceptWord(true), Source: source(e),
			Class: vd.class, Reaches: reaches("dvportgroup", []string{pg.Name}, vms), Rules: rules(true, c),
			Pair: vd.pair, Network: vd.network, Reason: vd.reason, Fix: fix,
		})
	}
}
