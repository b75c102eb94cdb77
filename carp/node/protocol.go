package node

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/config"
)

// ProtocolSettings are a group's protocol settings as node.yaml (carpver,
// vrrpprio, vrrpinterval, peer, peer6, vrrp_checksum_as_v2) or the flags
// of `node run` give them; Apply checks them in one place for both.
type ProtocolSettings struct {
	CarpVer      int // 0 or 2: CARP; 3: VRRPv3 (FreeBSD 15 carpver 3)
	VRRPPrio     int // 1..255, default VRRPPriorityDefault
	VRRPInterval int // centiseconds 1..4095, default advbase*100
	Peer, Peer6  string
	ChecksumAsV2 bool
}

// Apply sets g's protocol fields; key names a setting in errors (the
// node.yaml key or the flag).
func (p ProtocolSettings) Apply(key func(name string) string, g *Group) error {
	bad := func(name, format string, args ...any) error {
		return &config.Error{Key: key(name), Msg: fmt.Sprintf(format, args...)}
	}
	switch p.CarpVer {
	case 0, carp.Version:
		g.Version = carp.Version
		if p.VRRPPrio != 0 || p.VRRPInterval != 0 || p.ChecksumAsV2 {
			return bad("carpver", "2 (CARP) with VRRPv3 settings (vrrpprio, vrrpinterval, vrrp_checksum_as_v2); want carpver 3 for VRRPv3")
		}
	case carp.VRRPVersion:
		g.Version = carp.VRRPVersion
		g.Priority = carp.VRRPPriorityDefault
		if p.VRRPPrio != 0 {
			if p.VRRPPrio < 1 || p.VRRPPrio > carp.VRRPPriorityOwner {
				return bad("vrrpprio", "%d is out of range; want 1..255 (255: the addresses' owner)", p.VRRPPrio)
			}
			g.Priority = uint8(p.VRRPPrio)
		}
		g.Interval = uint16(min(max(int(g.AdvBase), 1)*100, 4095))
		if p.VRRPInterval != 0 {
			if p.VRRPInterval < 1 || p.VRRPInterval > 4095 {
				return bad("vrrpinterval", "%d is out of range; want centiseconds in 1..4095", p.VRRPInterval)
			}
			g.Interval = uint16(p.VRRPInterval)
		}
		g.ChecksumAsV2 = p.ChecksumAsV2
	default:
		return bad("carpver", "%d; want 2 (CARP) or 3 (VRRPv3)", p.CarpVer)
	}
	for _, peer := range []struct {
		name string
		raw  string
		v6   bool
		to   *netip.Addr
	}{{"peer", p.Peer, false, &g.Peer}, {"peer6", p.Peer6, true, &g.Peer6}} {
		if peer.raw == "" {
			continue
		}
		a, err := netip.ParseAddr(peer.raw)
		if err != nil || a.Is6() != peer.v6 || a.Is4In6() || a.IsMulticast() || a.IsUnspecified() {
			family := "IPv4"
			if peer.v6 {
				family = "IPv6"
			}
			return bad(peer.name, "%q: want the other router's unicast %s address", peer.raw, family)
		}
		*peer.to = a.WithZone("")
	}
	return nil
}

// VRRP reports whether the group speaks VRRPv3.
func (g Group) VRRP() bool { return g.Version == carp.VRRPVersion }

// Unicast reports whether the group's adverts go to a peer's address.
func (g Group) Unicast() bool { return g.Peer.IsValid() || g.Peer6.IsValid() }

// VirtualMAC is the MAC the group's VIPs answer from and its multicast
// adverts leave from: 00:00:5e:00:01:<vhid>, or VRRP's IPv6
// 00:00:5e:00:02:<vrid> for a VRRPv3 group of IPv6 addresses.
func (g Group) VirtualMAC() net.HardwareAddr {
	if g.VRRP() && len(g.VIPs) > 0 && g.VIPs[0].Addr().Is6() {
		return carp.VRRPVirtualMAC6(g.VHID)
	}
	return carp.VirtualMAC(g.VHID)
}

// ProtocolWords names the group's protocol for status and logs; VRRPv3
// says it has no authentication.
func (g Group) ProtocolWords() string {
	mode := "multicast"
	if g.Unicast() {
		mode = "unicast"
	}
	if g.VRRP() {
		return fmt.Sprintf("VRRPv3 %s, priority %d, interval %d cs, no authentication", mode, g.Priority, g.Interval)
	}
	return "CARP " + mode
}

// validateProtocol refuses what the group's adverts cannot carry: a
// VRRPv3 advert holds one family, and a unicast group needs a peer of
// each family its VIPs have.
func (g Group) validateProtocol(key string) error {
	var v4, v6 bool
	for _, p := range g.VIPs {
		if p.Addr().Is4() {
			v4 = true
		} else {
			v6 = true
		}
	}
	switch {
	case g.VRRP() && v4 && v6:
		return &config.Error{Key: key + ".vips", Msg: "IPv4 and IPv6 VIPs in one VRRPv3 group; a VRRPv3 advert carries one family: want one group per family"}
	case g.Unicast() && v4 && !g.Peer.IsValid():
		return &config.Error{Key: key + ".peer", Msg: "missing: a unicast group with IPv4 VIPs sends its IPv4 adverts to peer"}
	case g.Unicast() && v6 && !g.Peer6.IsValid():
		return &config.Error{Key: key + ".peer6", Msg: "missing: a unicast group with IPv6 VIPs sends its IPv6 adverts to peer6"}
	}
	return nil
}

// vrrpChecksum is the group's VRRPv3 checksum variant.
func vrrpChecksum(g Group) carp.VRRPChecksum {
	if g.ChecksumAsV2 {
		return carp.VRRPChecksumAsV2
	}
	return carp.VRRPChecksumPseudoHeader
}
