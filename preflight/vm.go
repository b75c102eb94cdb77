package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/vsphere/facts"
)

const poweredOn = "poweredOn"

// vmFound: each router VM exists and is powered on.
func (r *runner) vmFound() {
	for _, name := range r.cfg.RouterVMs() {
		fd := Finding{Check: CheckVMFound, Object: vmObject(name), Expected: "exists, poweredOn"}
		vm, ok := r.router(name)
		switch {
		case !ok:
			fd.Status, fd.Actual = Fail, missingVMs([]string{name})
			fd.Fix = fmt.Sprintf("Check pair.routers in the configuration: it names VM %q, which vSphere does not know (names are case-sensitive)", name)
		case vm.PowerState != poweredOn:
			fd.Status, fd.Actual = Fail, orUnknown(vm.PowerState)+onHost(vm.Host)
			fd.Fix = fmt.Sprintf("Power on %s", name)
		default:
			fd.Status, fd.Actual = Pass, vm.PowerState+onHost(vm.Host)
		}
		r.add(fd)
	}
}

func onHost(host string) string {
	if host == "" {
		return ""
	}
	return " on host " + host
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// nicAttached: each router has a NIC on the network's portgroup, connected
// now (when the VM runs) and at power on.
func (r *runner) nicAttached(n netView) {
	r.perRouter(n, CheckNICAttached, "a NIC on "+n.cfg.Portgroup+", connected and connected at power on",
		func(vm facts.VM) (Status, string, string) { return nicVerdict(vm, n.cfg.Portgroup) })
}

// perRouter adds one finding of check per router on network n: a missing
// router or network fails with what is missing, otherwise verdict decides.
func (r *runner) perRouter(n netView, check Check, expected string, verdict func(facts.VM) (Status, string, string)) {
	for _, name := range r.cfg.RouterVMs() {
		fd := Finding{Check: check, Network: n.cfg.Name, Object: vmObject(name), Expected: expected}
		vm, ok := r.router(name)
		switch {
		case !ok:
			fd.Status, fd.Actual, fd.Fix = Fail, missingVMs([]string{name}), missingVMFix
		case !n.found:
			fd.Status, fd.Actual, fd.Fix = Fail, n.missing(), n.missingFix()
		default:
			fd.Status, fd.Actual, fd.Fix = verdict(vm)
		}
		r.add(fd)
	}
}

func nicVerdict(vm facts.VM, portgroup string) (Status, string, string) {
	nics := vm.NICsOn(portgroup)
	if len(nics) == 0 {
		return Fail, "no NIC on " + portgroup + otherNetworks(vm),
			fmt.Sprintf("Add a network adapter on portgroup %s to %s, or move one of its adapters there", portgroup, vm.Name)
	}
	// The best NIC decides: connected and connected at power on first.
	nic := slices.MaxFunc(nics, func(a, b facts.NIC) int { return nicScore(a) - nicScore(b) })
	running := vm.PowerState == poweredOn
	desc := nicName(nic)
	switch {
	case running && nic.Connected && nic.StartConnected, !running && nic.StartConnected:
		state := "connected"
		if !running {
			state = "connects at power on (VM is " + orUnknown(vm.PowerState) + ")"
		}
		return Pass, desc + " " + state, ""
	case running && nic.Connected:
		return Warn, desc + " connected, but not at power on",
			fmt.Sprintf("Tick \"Connect at power on\" for %s of %s (Edit Settings), or it comes up disconnected after a power cycle", nic.Label, vm.Name)
	default:
		return Fail, desc + " disconnected",
			fmt.Sprintf("Connect %s of %s (Edit Settings: Connected and Connect at power on)", nic.Label, vm.Name)
	}
}

func nicScore(n facts.NIC) int {
	s := 0
	if n.Connected {
		s += 2
	}
	if n.StartConnected {
		s++
	}
	return s
}

// nicName reads "Network adapter 1 (vmxnet3, 00:50:56:aa:bb:01)".
func nicName(n facts.NIC) string {
	label := n.Label
	if label == "" {
		label = fmt.Sprintf("NIC %d", n.Key)
	}
	var details []string
	if n.Type != "" {
		details = append(details, n.Type)
	}
	if n.MAC != "" {
		details = append(details, n.MAC)
	}
	if len(details) == 0 {
		return label
	}
	return label + " (" + strings.Join(details, ", ") + ")"
}

// otherNetworks reads " (its NICs are on: VM Network, Public)".
func otherNetworks(vm facts.VM) string {
	var names []string
	for _, n := range vm.NICs {
		if !slices.Contains(names, n.Network) {
			names = append(names, n.Network)
		}
	}
	if len(names) == 0 {
		return " (it has no NIC)"
	}
	return " (its NICs are on: " + strings.Join(names, ", ") + ")"
}

// segment is where a router's NIC on a standard portgroup lands.
type segment struct {
	host    string // standard only
	vswitch string
	vlan    int32
	uplinks int // physical uplinks of the standard vSwitch
}

// vlanMatch: both routers' NICs on the network are on one L2 segment. For a
// standard portgroup that means the same VLAN on every host, and when the
// routers run on different hosts, vSwitches with uplinks (an internal
// vSwitch does not leave its host). For a distributed portgroup, the same
// dvportgroup of the same switch.
func (r *runner) vlanMatch(n netView) {
	fd := Finding{Check: CheckVLANMatch, Network: n.cfg.Name, Object: n.object(),
		Expected: "both routers on one L2 segment"}
	fd.Status, fd.Actual, fd.Fix = r.vlanVerdict(n)
	r.add(fd)
}

func (r *runner) vlanVerdict(n netView) (Status, string, string) {
	if msg, ok := r.pairSize(); !ok {
		return Fail, msg, "List exactly two router VMs in pair.routers"
	}
	vms, missing := r.routers()
	if len(missing) > 0 {
		return Fail, missingVMs(missing), missingVMFix
	}
	if !n.found {
		return Fail, n.missing(), n.missingFix()
	}
	nics := make([]facts.NIC, len(vms))
	for i, vm := range vms {
		on := vm.NICsOn(n.cfg.Portgroup)
		if len(on) == 0 {
			return Fail, vm.Name + " has no NIC on " + n.cfg.Portgroup, "Fix nic.attached first"
		}
		nics[i] = on[0]
	}
	switch n.kind() {
	case facts.KindOpaque:
		return Pass, "both on opaque network " + n.cfg.Portgroup + " (its segment is not inspected)", ""
	case facts.KindDistributed:
		return distributedSegments(n, vms, nics)
	default:
		return r.standardSegments(n, vms)
	}
}

func distributedSegments(n netView, vms []facts.VM, nics []facts.NIC) (Status, string, string) {
	a, b := nics[0], nics[1]
	if a.PortgroupKey != b.PortgroupKey || a.SwitchUUID != b.SwitchUUID {
		return Fail, fmt.Sprintf("%s on dvportgroup %s (switch %s), %s on dvportgroup %s (switch %s)",
				vms[0].Name, orUnknown(a.PortgroupKey), orUnknown(a.SwitchUUID), vms[1].Name, orUnknown(b.PortgroupKey), orUnknown(b.SwitchUUID)),
			fmt.Sprintf("Attach both routers' adapters to the same distributed portgroup %s (two switches hold a portgroup of that name)", n.cfg.Portgroup)
	}
	pg := n.fact.DVPortgroup
	if pg == nil {
		return Pass, "both on dvportgroup " + a.PortgroupKey, ""
	}
	where := fmt.Sprintf("VLAN %d", pg.VLAN)
	if pg.Trunk != "" {
		where = "VLAN trunk " + pg.Trunk
	}
	return Pass, fmt.Sprintf("both on dvportgroup %s of %s, %s", pg.Name, pg.Switch, where), ""
}

func (r *runner) standardSegments(n netView, vms []facts.VM) (Status, string, string) {
	pgName := n.cfg.Portgroup
	segs := make([]segment, len(vms))
	for i, vm := range vms {
		h, ok := r.f.Host(vm.Host)
		if !ok {
			return Fail, fmt.Sprintf("host %q of %s was not gathered", vm.Host, vm.Name),
				"Check that the vSphere user can read the routers' hosts"
		}
		pg, ok := h.Portgroup(pgName)
		if !ok {
			return Fail, fmt.Sprintf("portgroup %s does not exist on %s (host of %s)", pgName, h.Name, vm.Name),
				fmt.Sprintf("Create portgroup %s on host %s with the VLAN it has on the other hosts", pgName, h.Name)
		}
		vs, _ := h.VSwitch(pg.VSwitch)
		segs[i] = segment{host: h.Name, vswitch: pg.VSwitch, vlan: pg.VLAN, uplinks: len(vs.Uplinks)}
	}
	// Every host the routers can run on must agree on the VLAN, or a
	// vMotion splits the pair.
	if st, actual, fix, bad := r.vlanAcrossHosts(pgName); bad {
		return st, actual, fix
	}
	a, b := segs[0], segs[1]
	if a.vlan != b.vlan {
		return Fail, fmt.Sprintf("%s: VLAN %d on %s, %s: VLAN %d on %s", vms[0].Name, a.vlan, a.host, vms[1].Name, b.vlan, b.host),
			fmt.Sprintf("Give portgroup %s the same VLAN ID on every host", pgName)
	}
	if a.host == b.host {
		actual := fmt.Sprintf("both on %s, %s, on host %s", a.vswitch, vlanWords(a.vlan), a.host)
		if a.uplinks == 0 {
			actual += " (internal vSwitch: no uplink, so the routers only meet on this host)"
		}
		return Pass, actual, ""
	}
	for i, s := range segs {
		if s.uplinks == 0 {
			return Fail, fmt.Sprintf("%s on host %s has no uplink, and %s runs there while the other router runs on %s",
					s.vswitch, s.host, vms[i].Name, segs[1-i].host),
				fmt.Sprintf("Give %s on %s a physical uplink carrying %s to the other host, or use a distributed switch", s.vswitch, s.host, vlanWords(s.vlan))
		}
	}
	return Pass, fmt.Sprintf("%s on %s/%s and %s/%s, both with uplinks", vlanWords(a.vlan), a.host, a.vswitch, b.host, b.vswitch), ""
}

// vlanAcrossHosts reports a portgroup whose VLAN differs between the hosts
// the routers can run on.
func (r *runner) vlanAcrossHosts(pgName string) (Status, string, string, bool) {
	var seen []string
	var first *facts.Portgroup
	differ := false
	for _, h := range r.f.Hosts {
		pg, ok := h.Portgroup(pgName)
		if !ok {
			continue
		}
		if first == nil {
			first = &pg
		} else if pg.VLAN != first.VLAN {
			differ = true
		}
		seen = append(seen, fmt.Sprintf("%s %d", h.Name, pg.VLAN))
	}
	if !differ {
		return Pass, "", "", false
	}
	return Fail, "VLAN of " + pgName + " differs between hosts: " + strings.Join(seen, ", "),
		fmt.Sprintf("Give portgroup %s the same VLAN ID on every host the routers can run on", pgName), true
}

func vlanWords(v int32) string {
	if v == 4095 {
		return "VLAN 4095 (all VLANs, guest tagging)"
	}
	return fmt.Sprintf("VLAN %d", v)
}
