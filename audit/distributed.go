package audit

import (
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// distributed audits every distributed switch (its default port policy,
// as its portgroups carry it) and every distributed portgroup, the way
// standard does a host's.
func (a *auditor) distributed() {
	for _, pgs := range bySwitch(a.inv.DVPortgroups) {
		a.dvSwitch(pgs)
		for k := range pgs {
			a.dvPortgroup(&pgs[k])
		}
	}
}

// bySwitch splits the inventory's distributed portgroups (sorted by
// switch) into one run per switch.
func bySwitch(pgs []facts.DVPortgroup) [][]facts.DVPortgroup {
	var out [][]facts.DVPortgroup
	for i := 0; i < len(pgs); {
		j := i
		for j < len(pgs) && pgs[j].Switch == pgs[i].Switch {
			j++
		}
		out = append(out, pgs[i:j])
		i = j
	}
	return out
}

// dvInheritors are the VM portgroups of pgs (all of one switch) that
// inherit setting c from the switch, and each one's MAC learning.
func dvInheritors(pgs []facts.DVPortgroup, c preflight.Check) (names []string, learning map[string]bool) {
	learning = map[string]bool{}
	for i := range pgs {
		e, _ := preflight.DistributedEffective(&pgs[i], c)
		if e.Inherited && !pgs[i].Uplink {
			names = append(names, pgs[i].Name)
			learning[pgs[i].Name] = e.MACLearning
		}
	}
	return names, learning
}

// dvSwitch audits the switch the portgroups pgs (all of one switch) belong to.
func (a *auditor) dvSwitch(pgs []facts.DVPortgroup) {
	sw := pgs[0]
	for _, c := range securityChecks {
		accept, policy := switchValue(sw, c)
		if !accept {
			continue
		}
		names, learning := dvInheritors(pgs, c)
		var vms []string
		for _, pg := range names {
			vms = append(vms, a.vmsOn(pg, facts.KindDistributed, "")...)
		}
		vd := a.switchVerdict(sw.Switch, names, c, func(pg string) bool { return learning[pg] })
		fix := fmt.Sprintf("Edit distributed switch %s > default port policies > Security%s: set %s to Reject", sw.Switch, policy, preflight.SettingLabel(c))
		if vd.class == Broader {
			fix = fmt.Sprintf("carpvm audit --fix (it sets %s to Accept on dvportgroup %s itself, then to Reject on distributed switch %s; its other dvportgroups then inherit Reject)",
				preflight.SettingLabel(c), strings.Join(vd.needing, ", "), sw.Switch)
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

// dvPortgroup audits a distributed portgroup; the switch's uplink
// portgroup is left out: its ports are the hosts' physical NICs, and the
// baselines' rules are about VM portgroups.
func (a *auditor) dvPortgroup(pg *facts.DVPortgroup) {
	if pg.Uplink {
		return
	}
	for _, c := range securityChecks {
		e, _ := preflight.DistributedEffective(pg, c)
		if !e.Known || !e.Accept || e.Inherited && len(a.byPG[pg.Name]) == 0 {
			continue
		}
		vms := a.vmsOn(pg.Name, facts.KindDistributed, "")
		vd := a.portgroupVerdict(pg.Name, c, e.MACLearning, vms)
		fix := fmt.Sprintf("Edit dvportgroup %s on %s > Security: set %s to Reject", pg.Name, pg.Switch, preflight.SettingLabel(c))
		if vd.class == Broader {
			fix = sharedFix(fmt.Sprintf("govc dvs.portgroup.add -dvs %s -vlan %d %q", pg.Switch, pg.VLAN, pg.Name+"-servers"), pg.Name, vd.others)
		}
		a.add(Exception{
			Object: fmt.Sprintf("dvportgroup %s on %s", pg.Name, pg.Switch), Kind: KindDVPortgroup,
			Setting: settingName(c), Value: acceptWord(true), Source: source(e),
			Class: vd.class, Reaches: reaches("dvportgroup", []string{pg.Name}, vms), Rules: rules(true, c),
			Pair: vd.pair, Network: vd.network, Reason: vd.reason, Fix: fix,
		})
	}
}
