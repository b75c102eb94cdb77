package preflight

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// sameMAC compares two MAC addresses whatever their case or separators.
func sameMAC(a string, b net.HardwareAddr) bool {
	ma, err := net.ParseMAC(strings.TrimSpace(a))
	return err == nil && len(b) > 0 && ma.String() == b.String()
}

// vmacShared: on a network with a vmac (an OVH IPFO virtual MAC), each
// router has a NIC there with exactly that MAC, set manually, so that the
// upstream sees one MAC whichever router holds the address. A network
// without a vmac gets one "not applicable" pass.
func (r *runner) vmacShared(n netView) {
	if n.cfg.VMAC == nil {
		r.add(Finding{Check: CheckVMACShared, Network: n.cfg.Name, Object: n.object(), Status: Pass,
			Expected: "no vmac configured", Actual: notApplicablePrefix + "network " + n.cfg.Name + " sets no vmac"})
		return
	}
	r.perRouter(n, CheckVMACShared, "a NIC on "+n.cfg.Portgroup+" with manual MAC "+n.cfg.VMAC.String(),
		func(vm facts.VM) (Status, string, string) { return vmacVerdict(vm, n.cfg) })
	var split *config.VMACSplitError
	if errors.As(n.cfg.CheckVMACMasters(), &split) {
		r.add(Finding{Check: CheckVMACShared, Network: n.cfg.Name, Object: n.object(), Status: Fail,
			Expected: "every group bound to " + n.cfg.VMAC.String() + " mastered by one router",
			Actual:   split.Error(), Fix: split.Fix()})
	}
}

func vmacVerdict(vm facts.VM, n config.Network) (Status, string, string) {
	nics := vm.NICsOn(n.Portgroup)
	if len(nics) == 0 {
		return Fail, "no NIC on " + n.Portgroup, "Fix nic.attached first"
	}
	vmac := n.VMAC.String()
	var seen []string
	for _, nic := range nics {
		if sameMAC(nic.MAC, n.VMAC) && nic.AddressType == "manual" {
			return Pass, nic.Label + ": manual " + vmac, ""
		}
		seen = append(seen, fmt.Sprintf("%s: %s %s", nic.Label, orUnknown(nic.AddressType), orUnknown(nic.MAC)))
	}
	nic := nics[0]
	return Fail, strings.Join(seen, "; "),
		fmt.Sprintf("Set %s of %s to a manual MAC address %s (Edit Settings > %s > MAC Address: Manual), the same on both routers", nic.Label, vm.Name, vmac, nic.Label)
}

// vmacConflict: no other VM on the network uses the vmac or the CARP
// virtual MAC 00:00:5e:00:01:<vhid> of one of its groups; two NICs with one MAC make the
// switch flap between them.
func (r *runner) vmacConflict(n netView) {
	var macs []net.HardwareAddr
	if n.cfg.VMAC != nil {
		macs = append(macs, n.cfg.VMAC)
	}
	for _, g := range n.cfg.Groups() {
		macs = append(macs, g.VirtualMAC())
	}
	names := make([]string, len(macs))
	for i, m := range macs {
		names[i] = m.String()
	}
	words := strings.Join(names, " or ")
	fd := Finding{Check: CheckVMACConflict, Network: n.cfg.Name, Object: n.object(),
		Expected: "no other VM using " + words}
	if !n.found {
		fd.Status, fd.Actual, fd.Fix = Fail, n.missing(), n.missingFix()
		r.add(fd)
		return
	}
	var clash []string
	var vms []string
	for _, a := range n.fact.Attached {
		for _, m := range macs {
			if sameMAC(a.MAC, m) {
				clash = append(clash, fmt.Sprintf("VM %s uses %s", a.VM, m))
				vms = append(vms, a.VM)
			}
		}
	}
	if len(clash) > 0 {
		fd.Status, fd.Actual = Fail, strings.Join(clash, "; ")
		fd.Fix = fmt.Sprintf("Change the MAC address of %s on %s, or move it off the segment", strings.Join(vms, ", "), n.cfg.Portgroup)
	} else {
		fd.Status = Pass
		switch k := len(n.fact.Attached); k {
		case 0:
			fd.Actual = "no other VM has a NIC on " + n.cfg.Portgroup
		case 1:
			fd.Actual = "the 1 other NIC on " + n.cfg.Portgroup + " uses another MAC"
		default:
			fd.Actual = fmt.Sprintf("the %d other NICs on %s use other MACs", k, n.cfg.Portgroup)
		}
	}
	r.add(fd)
}

// l2 is the segment a configured network's portgroup is on, as far as
// vSphere tells: a vSwitch (by name, on the first router's host) or a
// distributed switch, and a VLAN; VLAN 4095 (guest tagging) or a trunk
// overlaps every VLAN of its switch.
type l2 struct {
	known  bool
	sw     string
	vlan   int32
	allVLA bool
	words  string
}

func (a l2) overlaps(b l2) bool {
	if !a.known || !b.known || a.sw != b.sw {
		return false
	}
	return a.vlan == b.vlan || a.allVLA || b.allVLA
}

func (r *runner) segmentOf(n netView) l2 {
	if !n.found {
		return l2{}
	}
	switch n.kind() {
	case facts.KindOpaque:
		return l2{known: true, sw: "opaque/" + n.cfg.Portgroup, words: "opaque network " + n.cfg.Portgroup}
	case facts.KindDistributed:
		pg := n.fact.DVPortgroup
		if pg == nil {
			return l2{}
		}
		s := l2{known: true, sw: "dvs/" + pg.SwitchUUID, vlan: pg.VLAN, allVLA: pg.Trunk != "" || pg.VLAN == 4095}
		s.words = fmt.Sprintf("%s %s", pg.Switch, vlanWords(pg.VLAN))
		if pg.Trunk != "" {
			s.words = pg.Switch + " VLAN trunk " + pg.Trunk
		}
		return s
	}
	// Prefer the first router's host, so every network is placed on one host.
	hosts := r.hostsWith(n.cfg.Portgroup)
	if len(hosts) == 0 {
		return l2{}
	}
	hp := hosts[0]
	if vm, ok := r.router(firstOr(r.cfg.RouterVMs())); ok {
		for _, c := range hosts {
			if c.host.Name == vm.Host {
				hp = c
			}
		}
	}
	return l2{known: true, sw: "std/" + hp.host.Name + "/" + hp.pg.VSwitch, vlan: hp.pg.VLAN, allVLA: hp.pg.VLAN == 4095,
		words: fmt.Sprintf("%s %s on %s", hp.pg.VSwitch, vlanWords(hp.pg.VLAN), hp.host.Name)}
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// vhidUnique: no two configured networks on one L2 segment use the same
// VHID (their adverts and virtual MACs would collide). The configuration
// already refuses one VHID twice on one portgroup; this catches distinct
// portgroups that are one segment (same vSwitch or switch and VLAN).
func (r *runner) vhidUnique() {
	views := make([]netView, len(r.cfg.Networks))
	segs := make([]l2, len(r.cfg.Networks))
	for i, n := range r.cfg.Networks {
		views[i] = r.network(n)
		segs[i] = r.segmentOf(views[i])
	}
	for i, n := range views {
		for _, g := range n.cfg.Groups() {
			r.vhidUniqueGroup(views, segs, i, g.VHID)
		}
	}
}

// vhidUniqueGroup is vhid.unique's finding for one group (vhid) of network
// views[i]: no group of another network on the segment uses vhid.
func (r *runner) vhidUniqueGroup(views []netView, segs []l2, i, vhid int) {
	n := views[i]
	fd := Finding{Check: CheckVHIDUnique, Network: n.cfg.Name, Object: n.object(),
		Expected: fmt.Sprintf("vhid %d used by no other network on the segment", vhid)}
	if !segs[i].known {
		fd.Status, fd.Actual, fd.Fix = Fail, n.missing(), n.missingFix()
		if n.found {
			fd.Actual, fd.Fix = "the segment of "+n.cfg.Portgroup+" is not reported", "Check that the vSphere user can read the routers' hosts and switches"
		}
		r.add(fd)
		return
	}
	var clash []string
	for j, o := range views {
		if i == j || !segs[i].overlaps(segs[j]) || !slices.ContainsFunc(o.cfg.Groups(), func(g config.Group) bool { return g.VHID == vhid }) {
			continue
		}
		clash = append(clash, fmt.Sprintf("network %s (portgroup %s)", o.cfg.Name, o.cfg.Portgroup))
	}
	if len(clash) > 0 {
		fd.Status = Fail
		fd.Actual = fmt.Sprintf("vhid %d is also used by %s on %s", vhid, strings.Join(clash, ", "), segs[i].words)
		fd.Fix = fmt.Sprintf("Give network %s or %s a different vhid in the configuration (and on the routers)", n.cfg.Name, strings.Join(clash, ", "))
	} else {
		fd.Status = Pass
		fd.Actual = fmt.Sprintf("vhid %d is the only configured CARP group on %s", vhid, segs[i].words)
	}
	r.add(fd)
}
