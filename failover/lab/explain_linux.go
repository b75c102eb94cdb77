package lab

import (
	"fmt"
	"net"

	"github.com/carpvm/carpvm/carp"
)

// policy is the model's policy of n; ok is false without a model.
func (l *Lab) policy(n Net) (Policy, bool) {
	if l.State == nil || l.State.Switch == nil {
		return Policy{}, false
	}
	p, ok := l.State.Switch.Nets[n.Name]
	return p, ok
}

// sharedMAC is the MAC both routers' legs on n carry, nil when each has
// its own.
func (l *Lab) sharedMAC(n Net) net.HardwareAddr {
	p, ok := l.policy(n)
	if !ok || p.SharedMAC == "" {
		return nil
	}
	mac, err := net.ParseMAC(p.SharedMAC)
	if err != nil {
		return nil
	}
	return mac
}

// splitPredicted names a network where the model drops the routers'
// adverts (forged transmits Reject with adverts from a virtual MAC), ""
// when there is none.
func (l *Lab) splitPredicted() string {
	for _, n := range Nets {
		if p, ok := l.policy(n); ok && !p.ForgedTransmits && p.SharedMAC == "" {
			return n.Name
		}
	}
	return ""
}

// vipMAC is the MAC the VIP of group vhid on n answers from with a carpvm
// node: the shared MAC, else the CARP virtual MAC.
func (l *Lab) vipMAC(n Net, vhid uint8) net.HardwareAddr {
	if mac := l.sharedMAC(n); mac != nil {
		return mac
	}
	return carp.VirtualMAC(vhid)
}

// Causes are the ways the lab's vSwitch model makes CARP fail on network
// name (all networks when ""), each naming the preflight check that
// predicted it; nil without a model. master, when known, is named as the
// router whose port does not get the VIP's frames.
func (l *Lab) Causes(name string, vhid uint8, master string) []Cause {
	var out []Cause
	for _, n := range Nets {
		if name != "" && n.Name != name {
			continue
		}
		p, ok := l.policy(n)
		if !ok {
			continue
		}
		if vhid == 0 {
			vhid = n.VHID
		}
		for _, c := range p.causes(n, l.vipMAC(n, vhid), l.State.Unicast) {
			if master != "" && l.vipOnLeg(master) && c.Check != "" &&
				(c.Check == p.Checks.Promiscuous || l.State.Unicast && c.Check == p.Checks.ForgedTransmits) {
				// ucarp and keepalived answer for the VIP from their own NIC's
				// MAC, which the vSwitch delivers without promiscuous mode and
				// takes from them under forged transmits Reject.
				continue
			}
			out = append(out, masterWords(c, master))
		}
	}
	return out
}

// modelDelivers says whether the model delivers unicast to mac to
// router's port on n, and why, for a network whose switch does not learn;
// learns is true where it does (the forwarding table then decides).
func (l *Lab) modelDelivers(n Net, mac net.HardwareAddr, router string) (delivered, learns bool, why string) {
	p, ok := l.policy(n)
	if !ok || p.learns() {
		return false, true, ""
	}
	port := BridgePort(router, n)
	if p.Promiscuous {
		return true, false, fmt.Sprintf("the vSwitch learns no MAC from VM ports; %s's port %s gets frames to %s because %s accepts promiscuous mode", router, port, mac, p.Portgroup)
	}
	if l.State.Assigned[port] == mac.String() {
		return true, false, fmt.Sprintf("%s is the assigned MAC of %s's vNIC (port %s)", mac, router, port)
	}
	c := Cause{Symptom: fmt.Sprintf("unicast to %s is not delivered to %s's port (promiscuous Reject on %s)", mac, router, p.Portgroup), Check: p.Checks.Promiscuous}
	return false, false, c.String()
}
