package carp

import (
	"fmt"
	"net/netip"
	"time"
)

// The Machine's VRRPv3 (Config.Version 3) and unicast (Config.Peer) rules.
// The states, timers, actions and their order are CARP's; what differs is
// the election (priority, not interval), the stop advert (priority 0, not
// a bow-out), the checksum and the missing authentication.

// checkVersion refuses a VRRPv3 configuration RFC 9568 cannot carry.
func (c Config) checkVersion() error {
	switch c.Version {
	case 0, Version:
		return nil
	case VRRPVersion:
	default:
		return fmt.Errorf("%w: vhid %d: version %d, want 2 (CARP) or 3 (VRRPv3)", ErrConfig, c.VHID, c.Version)
	}
	if c.Priority == VRRPPriorityStop {
		return fmt.Errorf("%w: vrid %d: priority 0, want 1..255 (0 is what a stopping master sends)", ErrConfig, c.VHID)
	}
	if c.Interval == 0 || c.Interval > vrrpIntervalMax {
		return fmt.Errorf("%w: vrid %d: interval %d cs, want 1..%d", ErrConfig, c.VHID, c.Interval, vrrpIntervalMax)
	}
	return nil
}

// checkSources refuses what the group's adverts could not be sent with:
// a VRRPv3 checksum needs this node's source address of each family it
// advertises, and a unicast peer must be of its family.
func (m *Machine) checkSources() error {
	if m.vrrp() && m.has4 && m.has6 {
		return fmt.Errorf("%w: vrid %d mixes IPv4 and IPv6 addresses; a VRRPv3 group carries one family", ErrConfig, m.cfg.VHID)
	}
	if m.vrrp() && ((m.has4 && !m.cfg.Self.Is4()) || (m.has6 && !m.cfg.Self6.Is6())) {
		return fmt.Errorf("%w: vrid %d: a VRRPv3 checksum covers the source address; want Self (IPv4) or Self6 (IPv6) set", ErrConfig, m.cfg.VHID)
	}
	if p := m.cfg.Peer; p.IsValid() && (!p.Is4() || p.IsMulticast()) {
		return fmt.Errorf("%w: vhid %d: peer %v is not a unicast IPv4 address", ErrConfig, m.cfg.VHID, p)
	}
	if p := m.cfg.Peer6; p.IsValid() && (!p.Is6() || p.Is4In6() || p.IsMulticast()) {
		return fmt.Errorf("%w: vhid %d: peer6 %v is not a unicast IPv6 address", ErrConfig, m.cfg.VHID, p)
	}
	return nil
}

func (m *Machine) vrrp() bool { return m.cfg.Version == VRRPVersion }

func (m *Machine) version() uint8 {
	if m.vrrp() {
		return VRRPVersion
	}
	return Version
}

// priority is the VRRPv3 priority advertised now: the configured one
// lowered by the demotion.
func (m *Machine) priority() uint8 {
	if m.cfg.Priority == VRRPPriorityOwner && m.demotion == 0 {
		return VRRPPriorityOwner
	}
	return VRRPDemotedPriority(m.cfg.Priority, int(m.demotion))
}

// destination is where an advert of the family goes: the unicast peer, or
// the zero Addr for the multicast group.
func (m *Machine) destination(ipv6 bool) netip.Addr {
	if ipv6 {
		return m.cfg.Peer6
	}
	return m.cfg.Peer
}

// checkSource applies the unicast rule (from the peer, any TTL) or the
// multicast one (TTL 255: the packet was not routed).
func (m *Machine) checkSource(r Received) Reject {
	peer := m.cfg.Peer
	if r.Src.Is6() && !r.Src.Is4In6() {
		peer = m.cfg.Peer6
	}
	if peer.IsValid() {
		if r.Src.WithZone("") != peer.WithZone("") {
			return RejectPeer
		}
		return 0
	}
	if r.TTL != TTL {
		return RejectTTL
	}
	return 0
}

// UnicastGARPRefresh is how often the master of a unicast group repeats
// its gratuitous ARPs (and NAs) from the virtual MAC. Its adverts leave
// from the interface's own MAC, so nothing else keeps the switches'
// tables pointing the virtual MAC at its port (opnsense/src#239,
// opnsense/core#8201); `render keepalived` sets garp_master_refresh alike.
const UnicastGARPRefresh = 10 * time.Second

// nextGARP is when a master that just sent gratuitous ARPs sends them
// again: never for a multicast group (its adverts come from the virtual
// MAC), every UnicastGARPRefresh for a unicast one.
func (m *Machine) nextGARP(now time.Time) time.Time {
	if m.cfg.Peer.IsValid() || m.cfg.Peer6.IsValid() {
		return now.Add(UnicastGARPRefresh)
	}
	return time.Time{}
}

// appendBowOut appends what a master sends when it gives the group up: a
// CARP advert with advbase and advskew 255, or VRRPv3 priority 0.
func (m *Machine) appendBowOut(acts []Action) []Action {
	if m.vrrp() {
		return m.appendVRRPAdverts(acts, VRRPPriorityStop)
	}
	return m.appendAdverts(acts, BowOut, BowOut)
}

// appendVRRPAdverts appends the group's VRRPv3 advert with priority prio.
func (m *Machine) appendVRRPAdverts(acts []Action, prio uint8) []Action {
	ipv6 := m.has6
	src, group := m.cfg.Self, GroupV4
	if ipv6 {
		src, group = m.cfg.Self6, GroupV6
	}
	dst := m.destination(ipv6)
	if !dst.IsValid() {
		dst = group
	}
	a := VRRPAdvert{VRID: m.cfg.VHID, Priority: prio, Interval: m.cfg.Interval, Addrs: m.cfg.VIPs}
	b, err := a.AppendBinary(nil, src.WithZone(""), dst.WithZone(""), m.cfg.VRRPChecksum)
	if err != nil {
		return acts // NewMachine checked everything AppendBinary refuses
	}
	m.st.Sent++
	return append(acts, SendAdvert{VRRP: a, Payload: b, IPv6: ipv6, Dst: m.destination(ipv6)})
}

// stepVRRP is Step for a VRRPv3 group, after RFC 9568 §6.4.2 and §6.4.3: a
// BACKUP follows a master of higher or equal priority, or of any priority
// when not preempting, re-arming Master_Down from the master's interval;
// it lets a lower-priority master time out when preempting (so preemption
// takes a master-down interval, as the RFC says), and takes over after its
// Skew_Time when the master stops (priority 0). A MASTER steps down before
// a higher priority, or an equal one from a greater address, and answers a
// stopping peer's advert with one of its own at once.
func (m *Machine) stepVRRP(now time.Time, r Received) []Action {
	a, rej := m.checkVRRP(r)
	if rej != 0 {
		m.reject(now, r, rej)
		return nil
	}
	m.st.Received++
	prio := m.priority()
	switch m.state {
	case Backup:
		m.st.MasterSeen = r.Src
		switch {
		case a.Priority == VRRPPriorityStop:
			m.masterDownAt = now.Add(VRRPSkew(prio, m.masterInterval))
		case !m.cfg.Preempt || a.Priority >= prio || now.Before(m.preemptAt):
			m.masterInterval = a.Interval
			m.masterDownAt = now.Add(m.MasterDown())
		}
	case Master:
		switch {
		case a.Priority == VRRPPriorityStop:
			m.nextAdvert = now.Add(m.Interval())
			return m.appendVRRPAdverts(nil, prio)
		case a.Priority > prio || (a.Priority == prio && addrGreater(r.Src, m.ownSource(r.Src))):
			m.masterInterval = a.Interval
			m.st.MasterSeen = r.Src
			return m.become(now, Backup, fmt.Sprintf("higher priority %d received from %s", a.Priority, r.Src))
		}
	}
	return nil
}

// checkVRRP decodes r as a VRRPv3 advert of this group; it returns why r
// is refused, or 0. VRRPv3 has no counter, so an echo is recognised by its
// source alone, and there is no replay check.
func (m *Machine) checkVRRP(r Received) (VRRPAdvert, Reject) {
	if rej := m.checkSource(r); rej != 0 {
		return VRRPAdvert{}, rej
	}
	dst := r.Dst
	if !dst.IsValid() {
		dst = GroupV4
		if r.Src.Is6() && !r.Src.Is4In6() {
			dst = GroupV6
		}
	}
	a, rej := DecodeVRRP(r.Payload, r.Src.WithZone(""), dst.WithZone(""), m.cfg.VRRPChecksum)
	if rej != 0 {
		return a, rej
	}
	if a.VRID != m.cfg.VHID {
		return a, RejectVHID
	}
	if m.isSelf(r.Src) {
		return a, RejectEcho
	}
	return a, 0
}

// ownSource is this node's address of src's family.
func (m *Machine) ownSource(src netip.Addr) netip.Addr {
	if src.Is6() && !src.Is4In6() {
		return m.cfg.Self6
	}
	return m.cfg.Self
}

// addrGreater is RFC 9568's tie-break: the primary address compared as an
// unsigned integer.
func addrGreater(a, b netip.Addr) bool { return a.WithZone("").Compare(b.WithZone("")) > 0 }
