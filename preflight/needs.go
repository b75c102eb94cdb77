package preflight

import (
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// SecurityNeed is preflight's rule for one security setting on one
// network: whether CARP needs it accepted there, and why.
type SecurityNeed struct {
	// Check is the setting's check ID: security.promiscuous,
	// security.mac_changes or security.forged_transmits.
	Check  Check
	Needed bool
	// Reason says why the network needs the setting accepted, or why not.
	Reason string
}

// SecurityNeeds returns the rule for each security setting of network n,
// in report order. macLearning says the network's distributed portgroup
// learns MACs, which makes promiscuous mode unnecessary; so does a vmac
// (the VIPs' traffic then comes to the NICs' own MAC). It is the one
// statement of what CARP needs from a portgroup: the security checks pass
// on it, and carpvm audit justifies exceptions by it.
func SecurityNeeds(n config.Network, macLearning bool) []SecurityNeed {
	out := make([]SecurityNeed, len(settings))
	for i, s := range settings {
		needed, why := s.need(n, macLearning)
		out[i] = SecurityNeed{Check: s.check(), Needed: needed, Reason: why}
	}
	return out
}

// need is whether network n needs s accepted, and why.
func (s setting) need(n config.Network, macLearning bool) (bool, string) {
	groups := groupWords(n)
	switch s {
	case promiscuous:
		if n.VMAC != nil {
			// vmac.shared makes it both routers' NICs' own MAC, the MAC
			// upstream sends the VIPs' traffic to (an OVH IPFO).
			return false, fmt.Sprintf("the VIPs' traffic is addressed to vmac %s, the routers' NICs' own MAC (vmac.shared), which the vSwitch delivers without promiscuous mode", n.VMAC)
		}
		if macLearning {
			return false, "MAC learning is on, so promiscuous mode is not needed"
		}
		return true, fmt.Sprintf("frames sent to the virtual MAC of %s reach no vNIC otherwise: the master would hold the VIPs and never receive their traffic", groups)
	case forgedTransmits:
		if n.Mode == config.ModeUnicast {
			return true, fmt.Sprintf("the master answers for the VIPs from the virtual MAC of %s, not its vNIC's MAC (its unicast adverts leave from the vNIC's MAC)", groups)
		}
		return true, fmt.Sprintf("the master sends its %s adverts and gratuitous ARPs from the virtual MAC of %s, not its vNIC's MAC", protocolWord(n.Protocol), groups)
	default:
		return true, "a router that changes its effective MAC (carpvm's node with a macvlan, ucarp, an OPNsense/pfSense interface with a spoofed MAC) is cut off otherwise"
	}
}

// groupWords reads "vhid 1 (00:00:5e:00:01:01)" or, for several groups,
// "vhid 1 (00:00:5e:00:01:01), vhid 3 (00:00:5e:00:01:03)".
func groupWords(n config.Network) string {
	id := "vhid"
	if n.Protocol == config.ProtocolVRRP3 {
		id = "vrid"
	}
	var parts []string
	for _, g := range n.Groups() {
		parts = append(parts, fmt.Sprintf("%s %d (%s)", id, g.VHID, g.VirtualMAC()))
	}
	return strings.Join(parts, ", ")
}

func protocolWord(p config.Protocol) string {
	if p == config.ProtocolVRRP3 {
		return "VRRPv3"
	}
	return "CARP"
}

// Effective is a security setting's value as the checks resolve it.
type Effective struct {
	// Known is false when vSphere did not report the setting.
	Known  bool
	Accept bool
	// Inherited says the value comes from the vSwitch or distributed
	// switch, not from the portgroup itself.
	Inherited bool
	// Source says where the value comes from: "set on portgroup Public",
	// "inherited from vSwitch0".
	Source string
	// MACLearning: a distributed portgroup whose effective MAC management
	// policy learns MACs.
	MACLearning bool
}

// StandardEffective resolves security setting c (a security.* check ID)
// of standard portgroup pg on host h, as the security checks do; ok is
// false for any other check.
func StandardEffective(h facts.Host, pg facts.Portgroup, c Check) (e Effective, ok bool) {
	s, ok := settingOf(c)
	if !ok {
		return Effective{}, false
	}
	return standardEffective(h, pg, s).exported(), true
}

// DistributedEffective resolves security setting c (a security.* check ID)
// of distributed portgroup pg, as the security checks do; ok is false for
// any other check.
func DistributedEffective(pg *facts.DVPortgroup, c Check) (e Effective, ok bool) {
	s, ok := settingOf(c)
	if !ok || pg == nil {
		return Effective{}, false
	}
	return distributedEffective(pg, s).exported(), true
}

func (e effective) exported() Effective {
	return Effective{Known: e.known, Accept: e.accept, Inherited: e.inherited, Source: e.source, MACLearning: e.macLearning}
}

func settingOf(c Check) (setting, bool) {
	for _, s := range settings {
		if s.check() == c {
			return s, true
		}
	}
	return 0, false
}

// SettingLabel is the vSphere Client's name of security setting c (a
// security.* check ID): "Promiscuous mode"; "" for any other check.
func SettingLabel(c Check) string {
	if s, ok := settingOf(c); ok {
		return s.label()
	}
	return ""
}
