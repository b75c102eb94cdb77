package audit

import (
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// pairNet is a configured network of a pair.
type pairNet struct {
	pair string
	net  config.Network
}

// auditor holds one inventory's audit: the pairs' networks by portgroup
// name, the routers, and the exceptions found so far.
type auditor struct {
	pairs   []*config.Config
	inv     *facts.Inventory
	byPG    map[string][]pairNet
	routers map[string]bool
	// attached are the VMs on each network, by host for a standard one
	// (each host holds its own copy of a portgroup).
	attached map[netKey][]string
	// needs caches preflight.SecurityNeeds per network and MAC learning:
	// the same few networks are judged on every host.
	needs map[needKey][]preflight.SecurityNeed
	out   []Exception
}

type needKey struct {
	pair, network string
	macLearning   bool
}

// netKey names a network on a host: Host is empty for a distributed one.
type netKey struct {
	host, name string
	kind       facts.NetworkKind
}

func keyOf(host string, n facts.VMNetwork) netKey {
	if n.Kind != facts.KindStandard {
		host = ""
	}
	return netKey{host: host, name: n.Name, kind: n.Kind}
}

func newAuditor(pairs []*config.Config, inv *facts.Inventory) *auditor {
	a := &auditor{pairs: pairs, inv: inv, byPG: map[string][]pairNet{}, routers: map[string]bool{}, attached: map[netKey][]string{},
		needs: map[needKey][]preflight.SecurityNeed{}}
	for _, vm := range inv.VMs {
		for _, n := range vm.Networks {
			k := keyOf(vm.Host, n)
			if vms := a.attached[k]; len(vms) == 0 || vms[len(vms)-1] != vm.Name {
				a.attached[k] = append(vms, vm.Name)
			}
		}
	}
	for _, p := range pairs {
		if p == nil {
			continue
		}
		for _, vm := range p.RouterVMs() {
			a.routers[vm] = true
		}
		for _, n := range p.Networks {
			a.byPG[n.Portgroup] = append(a.byPG[n.Portgroup], pairNet{pair: p.Pair.Name, net: n})
		}
	}
	return a
}

func (a *auditor) pairNames() []string {
	names := []string{}
	for _, p := range a.pairs {
		if p != nil {
			names = append(names, p.Pair.Name)
		}
	}
	return names
}

func (a *auditor) add(e Exception) {
	e.Target = a.inv.Target
	if e.Reaches == nil {
		e.Reaches = []string{}
	}
	if e.Class == Justified {
		e.Fix = ""
	}
	a.out = append(a.out, e)
}

// vmsOn lists the VMs on the network named name of kind (on host, for a
// standard one), in inventory (name) order.
func (a *auditor) vmsOn(name string, kind facts.NetworkKind, host string) []string {
	return a.attached[keyOf(host, facts.VMNetwork{Name: name, Kind: kind})]
}

// others are the VMs that are no configured pair's routers.
func (a *auditor) others(vms []string) []string {
	var out []string
	for _, vm := range vms {
		if !a.routers[vm] {
			out = append(out, vm)
		}
	}
	return out
}

// verdict is a class and what justifies it.
type verdict struct {
	class         Class
	pair, network string
	reason        string
	// needing are a broader switch's router portgroups that need the
	// setting: where it belongs.
	needing []string
	// others are the VMs on a broader router portgroup that are no
	// pair's routers.
	others []string
}

// sharedFix is the remediation of a router portgroup that also serves
// other VMs. carpvm does not narrow it itself: the way out moves those
// VMs' NICs, a change to VMs that are not the pair's, with a name for the
// new portgroup that is the operator's to choose. A portgroup of the same
// switch and VLAN keeps them on the same segment, so the commands are
// safe to run; add is the command that creates it.
func sharedFix(add, pg string, others []string) string {
	moves := make([]string, len(others))
	for i, vm := range others {
		moves[i] = fmt.Sprintf("govc vm.network.change -vm %s -net %q NIC", vm, pg+"-servers")
	}
	return fmt.Sprintf("Give the other VMs a portgroup of their own on the same switch and VLAN, so they stay on the segment and %s serves the routers only: %s; then, for each, %s (NIC: its adapter on %s, as govc device.info -vm VM 'ethernet-*' lists it)",
		pg, add, strings.Join(moves, "; "), pg)
}

// portgroupVerdict classes setting c accepted on a portgroup named pg
// that serves vms: justified when a configured network on it needs c
// (preflight.SecurityNeeds) and every VM on it is a router; broader when
// one is not; unjustified when no network there needs c.
func (a *auditor) portgroupVerdict(pg string, c preflight.Check, macLearning bool, vms []string) verdict {
	nets := a.byPG[pg]
	var notNeeded []string
	for _, pn := range nets {
		need := a.needOf(pn, c, macLearning)
		if !need.Needed {
			notNeeded = append(notNeeded, fmt.Sprintf("network %s of pair %s does not need it: %s", pn.net.Name, pn.pair, need.Reason))
			continue
		}
		v := verdict{class: Justified, pair: pn.pair, network: pn.net.Name,
			reason: fmt.Sprintf("network %s of pair %s (%s): %s", pn.net.Name, pn.pair, vipWords(pn.net), need.Reason)}
		if others := a.others(vms); len(others) > 0 {
			v.class, v.others = Broader, others
			v.reason = fmt.Sprintf("CARP needs it for network %s of pair %s, but the portgroup also serves VMs that are not routers: %s", pn.net.Name, pn.pair, strings.Join(others, ", "))
		}
		return v
	}
	if len(notNeeded) > 0 {
		return verdict{class: Unjustified, reason: strings.Join(notNeeded, "; ")}
	}
	return verdict{class: Unjustified, reason: "no configured pair's router network uses this portgroup"}
}

// switchVerdict classes setting c accepted on a switch whose portgroups
// inheritors inherit it: broader when one of them is a router portgroup
// that needs it (set it there instead), unjustified otherwise.
func (a *auditor) switchVerdict(sw string, inheritors []string, c preflight.Check, macLearning func(pg string) bool) verdict {
	v := verdict{class: Unjustified, reason: fmt.Sprintf("no configured pair's router portgroup inherits it from %s", sw)}
	var uses []string
	for _, pg := range inheritors {
		for _, pn := range a.byPG[pg] {
			if !a.needOf(pn, c, macLearning(pg)).Needed {
				continue
			}
			if v.class == Unjustified {
				v = verdict{class: Broader, pair: pn.pair, network: pn.net.Name}
			}
			v.needing = append(v.needing, pg)
			uses = append(uses, fmt.Sprintf("%s (network %s of pair %s)", pg, pn.net.Name, pn.pair))
			break
		}
	}
	if v.class == Broader {
		v.reason = fmt.Sprintf("CARP needs it only on %s, and every portgroup of %s that does not override it inherits it", strings.Join(uses, ", "), sw)
	}
	return v
}

func (a *auditor) needOf(pn pairNet, c preflight.Check, macLearning bool) preflight.SecurityNeed {
	k := needKey{pair: pn.pair, network: pn.net.Name, macLearning: macLearning}
	needs, ok := a.needs[k]
	if !ok {
		needs = preflight.SecurityNeeds(pn.net, macLearning)
		a.needs[k] = needs
	}
	for _, need := range needs {
		if need.Check == c {
			return need
		}
	}
	return preflight.SecurityNeed{Check: c}
}

// vipWords reads "vhid 1, VIP 172.27.27.14/28" for each group.
func vipWords(n config.Network) string {
	id := "vhid"
	if n.Protocol == config.ProtocolVRRP3 {
		id = "vrid"
	}
	var parts []string
	for _, g := range n.Groups() {
		vips := make([]string, len(g.VIPs))
		for i, v := range g.VIPs {
			vips[i] = v.String()
		}
		parts = append(parts, fmt.Sprintf("%s %d, VIP %s", id, g.VHID, strings.Join(vips, " ")))
	}
	if n.VMAC != nil {
		parts = append(parts, "vmac "+n.VMAC.String())
	}
	return strings.Join(parts, "; ")
}

// reaches lists the portgroups and their VMs: "portgroup VM Network",
// "vm web-01".
func reaches(pgWord string, pgs []string, vms []string) []string {
	out := []string{}
	for _, pg := range pgs {
		out = append(out, pgWord+" "+pg)
	}
	for _, vm := range vms {
		out = append(out, "vm "+vm)
	}
	return out
}

func acceptWord(b bool) string {
	if b {
		return "Accept"
	}
	return "Reject"
}
