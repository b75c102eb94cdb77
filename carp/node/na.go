package node

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/carpvm/carpvm/carp"
)

// allNodes is ff02::1, where unsolicited neighbour advertisements go, and
// allNodesMAC its Ethernet multicast address.
var (
	allNodes    = netip.MustParseAddr("ff02::1")
	allNodesMAC = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
)

const (
	etherTypeIPv6Frame = 0x86dd
	protoICMPv6        = 58
	icmpv6NA           = 136
	naFlagRouter       = 0x80
	naFlagOverride     = 0x20
	optTargetLLAddr    = 2
	naICMPLen          = 4 + 4 + 16 + 8 // header, flags, target, target link-layer address option
	naLen              = 14 + 40 + naICMPLen
)

// appendNA appends an unsolicited neighbour advertisement for vip from mac
// (RFC 4861 sections 4.4 and 7.2.6): an Ethernet frame from mac to
// 33:33:00:00:00:01, an IPv6 packet from vip to ff02::1 with hop limit 255
// (receivers drop any other) and an ICMPv6 type 136 message with the
// Override flag (so that neighbours replace a cached MAC: the new master's
// takeover), the Router flag when router is set (the host forwards IPv6:
// hosts that use the VIP as a default router must keep it in their router
// list, as FreeBSD's carp sets it from ip6_forwarding), Solicited clear,
// target vip and a target link-layer address option carrying mac. The
// ICMPv6 checksum covers the IPv6 pseudo-header.
func appendNA(dst []byte, mac net.HardwareAddr, vip netip.Addr, router bool) ([]byte, error) {
	if len(mac) != 6 {
		return dst, fmt.Errorf("node: neighbour advertisement: MAC %v is not 48 bits", mac)
	}
	if !vip.Is6() || vip.Is4In6() {
		return dst, fmt.Errorf("node: neighbour advertisement: %v is not IPv6", vip)
	}
	src, to := vip.As16(), allNodes.As16()
	dst = append(dst, allNodesMAC...)
	dst = append(dst, mac...)
	dst = binary.BigEndian.AppendUint16(dst, etherTypeIPv6Frame)
	dst = append(dst, 6<<4, 0, 0, 0) // version 6, traffic class 0, flow label 0
	dst = binary.BigEndian.AppendUint16(dst, naICMPLen)
	dst = append(dst, protoICMPv6, 255)
	dst = append(dst, src[:]...)
	dst = append(dst, to[:]...)
	icmp := len(dst)
	flags := byte(naFlagOverride)
	if router {
		flags |= naFlagRouter
	}
	dst = append(dst, icmpv6NA, 0, 0, 0, flags, 0, 0, 0)
	dst = append(dst, src[:]...)
	dst = append(dst, optTargetLLAddr, 1)
	dst = append(dst, mac...)
	binary.BigEndian.PutUint16(dst[icmp+2:icmp+4], carp.PseudoHeaderChecksum(netip.AddrFrom16(src), netip.AddrFrom16(to), protoICMPv6, dst[icmp:]))
	return dst, nil
}
