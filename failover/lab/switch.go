package lab

import (
	"fmt"
	"maps"
	"net"
	"strings"
)

// The lab's vSwitch model (docs/vswitch-model.md): with a SwitchModel the
// lab's bridges stop being plain Linux learning switches and behave as an
// ESXi standard vSwitch (or a distributed switch with MAC learning) with a
// portgroup's effective security policy. A standard vSwitch knows each
// vNIC's assigned MAC and learns nothing from VM ports, so the model turns
// learning off (every frame floods, as to an unknown MAC) and lets each
// router port's tc filters admit what ESXi would deliver to, or accept
// from, that vNIC.

// Policy is the effective policy of one lab network's portgroup. Each
// boolean is true for Accept.
type Policy struct {
	// Portgroup names the portgroup the policy was read from, for causes.
	Portgroup       string `json:"portgroup"`
	Distributed     bool   `json:"distributed,omitempty"`
	Promiscuous     bool   `json:"promiscuous"`
	MACChanges      bool   `json:"mac_changes"`
	ForgedTransmits bool   `json:"forged_transmits"`
	// MACLearning is a distributed portgroup's MAC learning: the port
	// learns the MACs its vNIC sends from, promiscuous mode is not needed.
	MACLearning bool `json:"mac_learning,omitempty"`
	// Reflect: promiscuous mode over two active uplinks of a team with
	// Net.ReversePathFwdCheckPromisc not 1 sends a router's own multicast
	// back to it.
	Reflect bool `json:"reflect,omitempty"`
	// SharedMAC is the MAC both routers' NICs carry (an OVH IPFO virtual
	// MAC set manually on both), "" when each has its own.
	SharedMAC string `json:"shared_mac,omitempty"`
	// Checks name the preflight check that predicts each row's symptom.
	Checks Checks `json:"checks"`
}

// Checks are the preflight check IDs of the model's rows.
type Checks struct {
	Promiscuous     string `json:"promiscuous,omitempty"`
	MACChanges      string `json:"mac_changes,omitempty"`
	ForgedTransmits string `json:"forged_transmits,omitempty"`
	Reflect         string `json:"reflect,omitempty"`
	SharedMAC       string `json:"shared_mac,omitempty"`
}

// SwitchModel is the vSwitch behaviour of every lab network, by lab
// network name (intranought, public).
type SwitchModel struct {
	// Source says where it was read from: "facts.json", "topology teamed".
	Source string            `json:"source"`
	Nets   map[string]Policy `json:"networks"`
}

// topologySource starts the Source of a model read from a simulator
// topology.
const topologySource = "topology "

// TopologySource is the Source of a model read from simulator topology
// name.
func TopologySource(name string) string { return topologySource + name }

// UpFlag is the `lab up` flag that builds m again: --topology NAME or --facts
// FILE.
func (m *SwitchModel) UpFlag() string {
	if name, ok := strings.CutPrefix(m.Source, topologySource); ok {
		return "--topology " + name
	}
	return "--facts " + m.Source
}

// Equal says whether two models (either may be nil) build the same lab.
func (m *SwitchModel) Equal(o *SwitchModel) bool {
	if m == nil || o == nil {
		return m == o
	}
	return m.Source == o.Source && maps.Equal(m.Nets, o.Nets)
}

// Validate checks that m covers every lab network.
func (m *SwitchModel) Validate() error {
	if m == nil {
		return nil
	}
	for _, n := range Nets {
		p, ok := m.Nets[n.Name]
		if !ok {
			return fmt.Errorf("lab: switch model from %s: no policy for network %q (the lab's %s)", m.Source, n.Name, n.Bridge)
		}
		if p.SharedMAC != "" {
			if _, err := net.ParseMAC(p.SharedMAC); err != nil {
				return fmt.Errorf("lab: switch model from %s: network %q: shared MAC %q: %w", m.Source, n.Name, p.SharedMAC, err)
			}
		}
	}
	return nil
}

func accept(b bool) string {
	if b {
		return "Accept"
	}
	return "Reject"
}

// String reads "promiscuous Reject, MAC changes Accept, forged transmits
// Accept" plus what else the portgroup does.
func (p Policy) String() string {
	s := fmt.Sprintf("promiscuous %s, MAC changes %s, forged transmits %s", accept(p.Promiscuous), accept(p.MACChanges), accept(p.ForgedTransmits))
	if p.MACLearning {
		s += ", MAC learning on"
	}
	if p.Reflect {
		s += ", reflects its routers' multicast (teamed uplinks, Net.ReversePathFwdCheckPromisc not 1)"
	}
	if p.SharedMAC != "" {
		s += ", both routers' NICs carry " + p.SharedMAC
	}
	return s
}

// learns says whether a router port on this portgroup learns source MACs:
// with MAC learning; and where two ports carry one MAC, the model is the
// physical switch between two hosts, which learns where that MAC was last
// seen (docs/vswitch-model.md).
func (p Policy) learns() bool { return p.MACLearning || p.SharedMAC != "" }

// filtersReceive says whether the port admits only broadcast, multicast
// and frames to its vNIC's MAC.
func (p Policy) filtersReceive() bool { return !p.Promiscuous && !p.learns() }

// Port is one router port of the model: its name in the switch namespace
// and its vNIC's MACs.
type Port struct {
	Name string
	// Assigned is the MAC the VM's configuration gives the vNIC (the
	// leg's MAC when the lab was built); Effective the one the guest
	// uses now.
	Assigned, Effective net.HardwareAddr
	// MirrorAdverts is the port the CARP/VRRP adverts this port accepts
	// are copied to ("" for none): in a unicast lab the adverts go from
	// router to router, and the witness on the client's port sees them
	// only so, as a port mirror would show them.
	MirrorAdverts string
}

// blackhole is the interface, down, in the switch namespace that dropped
// frames are redirected to: the kernel's tc has no drop action here
// (act_gact is not always built), and mirred drops what it redirects to a
// device that is down.
const blackhole = "cvl-drop0"

// tcCommands are the tc invocations (arguments after "tc") that give port
// the policy p: its ingress (what the vNIC sends into the switch) and its
// egress (what the switch delivers to the vNIC). Filters match with u32 at
// negative offsets from the network header: -14 is the destination MAC,
// -8 the source MAC.
func tcCommands(port Port, p Policy) [][]string {
	dev := port.Name
	cmds := [][]string{{"qdisc", "replace", "dev", dev, "clsact"}}
	filter := func(dir string, pref int, rest ...string) []string {
		return append([]string{"filter", "add", "dev", dev, dir, "pref", fmt.Sprint(pref), "protocol", "all", "u32"}, rest...)
	}
	drop := []string{"action", "mirred", "egress", "redirect", "dev", blackhole}
	multicast := []string{"match", "u8", "0x01", "0x01", "at", "-14"}
	anything := []string{"match", "u32", "0", "0", "at", "0"}
	fromVNIC := []string{"match", "ether", "src", port.Effective.String()}

	// Ingress: reflection first (the team sends the frame back), then
	// forged transmits.
	if p.Reflect {
		m := append([]string{}, multicast...)
		if !p.ForgedTransmits {
			m = append(m, fromVNIC...)
		}
		cmds = append(cmds, filter("ingress", 10, append(m, "action", "mirred", "egress", "mirror", "dev", dev)...))
	}
	if port.MirrorAdverts != "" {
		// IP protocol 112 from the vNIC, as the switch accepts it: the
		// mirror passes the frame on, and ends its classification.
		m := []string{"match", "ip", "protocol", "112", "0xff"}
		if !p.ForgedTransmits {
			m = append(m, fromVNIC...)
		}
		cmds = append(cmds, append([]string{"filter", "add", "dev", dev, "ingress", "pref", "15", "protocol", "ip", "u32"},
			append(m, "action", "mirred", "egress", "mirror", "dev", port.MirrorAdverts)...))
	}
	if !p.ForgedTransmits {
		cmds = append(cmds,
			filter("ingress", 20, append(fromVNIC, "flowid", "1:1")...),
			filter("ingress", 30, append(anything, drop...)...))
	}

	// Egress: MAC address changes Reject with a changed MAC blocks the
	// port; promiscuous Reject admits broadcast, multicast and the vNIC's
	// own MAC.
	switch {
	case !p.MACChanges && port.Effective.String() != port.Assigned.String():
		cmds = append(cmds, filter("egress", 10, append(anything, drop...)...))
	case p.filtersReceive():
		cmds = append(cmds,
			filter("egress", 10, append(multicast, "flowid", "1:1")...),
			filter("egress", 20, "match", "ether", "dst", port.Effective.String(), "flowid", "1:1"),
			filter("egress", 30, append(anything, drop...)...))
	}
	return cmds
}

// Cause is one way the model makes CARP fail on a network: the symptom in
// vSwitch terms and the preflight check that predicted it.
type Cause struct {
	Network string `json:"network"`
	Symptom string `json:"symptom"`
	Check   string `json:"check"`
}

// String reads "unicast to 00:00:5e:00:01:01 ... [predicted by
// security.promiscuous]".
func (c Cause) String() string {
	if c.Check == "" {
		return c.Symptom
	}
	return c.Symptom + " [predicted by " + c.Check + "]"
}

// causes lists what p does to CARP on n for a router whose VIP answers
// from vipMAC (the group's virtual MAC, or the shared MAC); unicast adverts
// go from each router's own MAC.
func (p Policy) causes(n Net, vipMAC net.HardwareAddr, unicast bool) []Cause {
	var out []Cause
	add := func(check, format string, args ...any) {
		out = append(out, Cause{Network: n.Name, Symptom: fmt.Sprintf(format, args...), Check: check})
	}
	switch {
	case p.ForgedTransmits || p.SharedMAC != "":
	case unicast:
		add(p.Checks.ForgedTransmits, "VIP %s does not answer: the master's replies from %s are dropped at the master's port (forged transmits Reject on %s); the unicast adverts, from each router's own MAC, pass",
			n.VIP.Addr(), vipMAC, p.Portgroup)
	default:
		add(p.Checks.ForgedTransmits, "adverts from %s are dropped at both routers' ports (forged transmits Reject on %s): neither router hears the other, both become master",
			vipMAC, p.Portgroup)
	}
	if p.filtersReceive() && p.SharedMAC == "" {
		add(p.Checks.Promiscuous, "VIP %s does not answer: unicast to %s is not delivered to %s's port (promiscuous Reject on %s)",
			n.VIP.Addr(), vipMAC, "the master", p.Portgroup)
	}
	if p.SharedMAC != "" {
		add(p.Checks.SharedMAC, "both routers' ports carry %s on %s: frames to it go to the port that last sent from it, so the backup's own traffic (ARP, IPv6 router solicitations, pings) steals the master's frames until its next advert",
			p.SharedMAC, p.Portgroup)
	}
	if p.Reflect {
		add(p.Checks.Reflect, "each router's own multicast comes back to it on %s (teamed uplinks with promiscuous Accept, Net.ReversePathFwdCheckPromisc not 1)", p.Portgroup)
	}
	return out
}

// masterWords puts the master's name in a cause that says "the master".
func masterWords(c Cause, master string) Cause {
	if master != "" {
		c.Symptom = strings.Replace(c.Symptom, "the master's port", master+"'s port", 1)
		c.Symptom = strings.Replace(c.Symptom, "the master's replies", master+"'s replies", 1)
	}
	return c
}
