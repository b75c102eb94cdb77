package carp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Protocol is the IPv4 protocol number (and IPv6 next header) of CARP,
// shared with VRRP.
const Protocol = 112

// GroupV4 is the IPv4 multicast group CARP advertises to.
var GroupV4 = netip.MustParseAddr("224.0.0.18")

// GroupV6 is the IPv6 (link-local scope) multicast group CARP advertises
// to, for groups with IPv6 VIPs.
var GroupV6 = netip.MustParseAddr("ff02::12")

// TTL is the only TTL (IPv4) or hop limit (IPv6) CARP sends and accepts.
const TTL = 255

// Type of service (IPv4) and traffic class (IPv6) values in use: FreeBSD
// sends TOSFreeBSD (DSCP CS7, its net.inet.carp.dscp default 56, shifted
// left by two) in both families, OpenBSD and ucarp TOSLowDelay.
const (
	TOSFreeBSD  = 0xe0
	TOSLowDelay = 0x10
)

const (
	etherLen       = 14
	vlanTagLen     = 4
	ipv4MinLen     = 20
	ipv6HeaderLen  = 40
	etherTypeIPv4  = 0x0800
	etherTypeIPv6  = 0x86dd
	etherTypeVLAN  = 0x8100
	etherTypeQinQ  = 0x88a8
	ipFlagDF       = 0x4000
	ipFlagMF       = 0x2000
	ipFragOffMask  = 0x1fff
	maxVLANTagging = 2
)

// ErrFrame is wrapped by every ParseFrame error.
var ErrFrame = errors.New("carp: bad frame")

// VirtualMAC returns the virtual router MAC of a vhid, 00:00:5e:00:01:vhid,
// which the kernels send from and which owns the VIPs. (ucarp deviates and
// sends from 00:00:5e:00:00:vhid.)
func VirtualMAC(vhid uint8) net.HardwareAddr {
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x01, vhid}
}

// MulticastMAC returns the Ethernet address of a multicast group: for IPv4,
// 01:00:5e followed by the low 23 bits of the address (01:00:5e:00:00:12
// for 224.0.0.18); for IPv6, 33:33 followed by the low 32 bits
// (33:33:00:00:00:12 for ff02::12, RFC 2464).
func MulticastMAC(group netip.Addr) net.HardwareAddr {
	if group.Is6() && !group.Is4In6() {
		b := group.As16()
		return net.HardwareAddr{0x33, 0x33, b[12], b[13], b[14], b[15]}
	}
	b := as4(group)
	return net.HardwareAddr{0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]}
}

// Frame is an Ethernet II frame carrying an IPv4 packet of protocol 112 or
// an IPv6 packet of next header 112.
type Frame struct {
	SrcMAC, DstMAC net.HardwareAddr
	// VLAN is the 802.1Q VLAN ID of the (outermost) tag, 0 when untagged.
	VLAN uint16
	// Src and Dst are IPv4 addresses in an IPv4 frame, IPv6 ones (Is6) in
	// an IPv6 frame: the family of Dst decides how AppendFrame encodes.
	Src, Dst netip.Addr
	// TTL is the IPv4 TTL or the IPv6 hop limit; TOS the IPv4 type of
	// service or the IPv6 traffic class. (The IPv6 flow label is ignored
	// on parse and sent as 0, as FreeBSD does.)
	TTL, TOS uint8
	// Payload is the protocol-112 payload (CARP or VRRP), trimmed to the IP
	// total (IPv6: payload) length. ParseFrame returns slices of its input,
	// not copies.
	Payload []byte
}

// IsIPv6 reports whether f is (or AppendFrame encodes it as) an IPv6
// frame: Dst is an IPv6 address, or Dst is unset and Src is one.
func (f Frame) IsIPv6() bool {
	if f.Dst.IsValid() {
		return f.Dst.Is6()
	}
	return f.Src.Is6()
}

// ParseFrame decodes an Ethernet II frame (untagged, or with up to two
// 802.1Q/802.1ad tags) carrying an unfragmented IPv4 packet of protocol
// 112, or an IPv6 packet whose next header is 112. The IPv4 header
// checksum is checked, IPv4 options are skipped and Ethernet padding is
// trimmed. IPv6 extension headers are not followed: CARP adverts carry
// none (FreeBSD and OpenBSD send the bare 40-byte header), so a packet
// whose first next header is not 112 is refused. Any other input yields an
// error wrapping ErrFrame; it never panics.
func ParseFrame(b []byte) (Frame, error) {
	var f Frame
	if len(b) < etherLen {
		return f, fmt.Errorf("%w: %d bytes, shorter than an Ethernet header", ErrFrame, len(b))
	}
	f.DstMAC = net.HardwareAddr(b[0:6])
	f.SrcMAC = net.HardwareAddr(b[6:12])
	et := binary.BigEndian.Uint16(b[12:14])
	rest := b[etherLen:]
	for tags := 0; et == etherTypeVLAN || et == etherTypeQinQ; tags++ {
		if tags == maxVLANTagging {
			return f, fmt.Errorf("%w: more than %d VLAN tags", ErrFrame, maxVLANTagging)
		}
		if len(rest) < vlanTagLen {
			return f, fmt.Errorf("%w: truncated VLAN tag", ErrFrame)
		}
		if tags == 0 {
			f.VLAN = binary.BigEndian.Uint16(rest[0:2]) & 0x0fff
		}
		et = binary.BigEndian.Uint16(rest[2:4])
		rest = rest[vlanTagLen:]
	}
	if et == etherTypeIPv6 {
		return parseIPv6(f, rest)
	}
	if et != etherTypeIPv4 {
		return f, fmt.Errorf("%w: ethertype 0x%04x, want IPv4 (0x0800) or IPv6 (0x86dd)", ErrFrame, et)
	}
	if len(rest) < ipv4MinLen {
		return f, fmt.Errorf("%w: IPv4 header truncated (%d bytes)", ErrFrame, len(rest))
	}
	if v := rest[0] >> 4; v != 4 {
		return f, fmt.Errorf("%w: IP version %d in an IPv4 frame", ErrFrame, v)
	}
	ihl := int(rest[0]&0x0f) * 4
	if ihl < ipv4MinLen {
		return f, fmt.Errorf("%w: IPv4 header length %d", ErrFrame, ihl)
	}
	total := int(binary.BigEndian.Uint16(rest[2:4]))
	if total < ihl || total > len(rest) {
		return f, fmt.Errorf("%w: IPv4 total length %d, header %d, %d bytes present", ErrFrame, total, ihl, len(rest))
	}
	if Checksum(rest[:ihl]) != 0 {
		return f, fmt.Errorf("%w: bad IPv4 header checksum", ErrFrame)
	}
	if ff := binary.BigEndian.Uint16(rest[6:8]); ff&ipFlagMF != 0 || ff&ipFragOffMask != 0 {
		return f, fmt.Errorf("%w: IPv4 fragment", ErrFrame)
	}
	if p := rest[9]; p != Protocol {
		return f, fmt.Errorf("%w: IP protocol %d, want %d", ErrFrame, p, Protocol)
	}
	f.TOS = rest[1]
	f.TTL = rest[8]
	f.Src = netip.AddrFrom4([4]byte(rest[12:16]))
	f.Dst = netip.AddrFrom4([4]byte(rest[16:20]))
	f.Payload = rest[ihl:total]
	return f, nil
}

// parseIPv6 decodes the IPv6 packet in rest (after the Ethernet header and
// tags) into f.
func parseIPv6(f Frame, rest []byte) (Frame, error) {
	if len(rest) < ipv6HeaderLen {
		return f, fmt.Errorf("%w: IPv6 header truncated (%d bytes)", ErrFrame, len(rest))
	}
	if v := rest[0] >> 4; v != 6 {
		return f, fmt.Errorf("%w: IP version %d in an IPv6 frame", ErrFrame, v)
	}
	plen := int(binary.BigEndian.Uint16(rest[4:6]))
	if plen > len(rest)-ipv6HeaderLen {
		return f, fmt.Errorf("%w: IPv6 payload length %d, %d bytes present", ErrFrame, plen, len(rest)-ipv6HeaderLen)
	}
	if nh := rest[6]; nh != Protocol {
		return f, fmt.Errorf("%w: IPv6 next header %d, want %d (extension headers are not followed)", ErrFrame, nh, Protocol)
	}
	f.TOS = rest[0]<<4 | rest[1]>>4
	f.TTL = rest[7]
	f.Src = netip.AddrFrom16([16]byte(rest[8:24]))
	f.Dst = netip.AddrFrom16([16]byte(rest[24:40]))
	f.Payload = rest[ipv6HeaderLen : ipv6HeaderLen+plen]
	return f, nil
}

// AppendFrame appends f as an Ethernet II frame to dst: an 802.1Q tag when
// f.VLAN is not 0, then the IP header and f.Payload. The family follows
// f.IsIPv6. IPv4: a header without options (DF set, ID 0, protocol 112,
// header checksum filled). IPv6: a bare 40-byte header (traffic class
// f.TOS, flow label 0, next header 112, no extension header). A nil DstMAC
// becomes the multicast MAC of f.Dst when that is multicast
// (01:00:5e:00:00:12 for 224.0.0.18, 33:33:00:00:00:12 for ff02::12); a nil
// SrcMAC is sent as zeros; TTL 0 means 255; a source of the other family
// (or none) is sent as zeros (never a panic). The frame is not padded to
// the Ethernet minimum (the kernel or NIC pads it).
func AppendFrame(dst []byte, f Frame) []byte {
	v6 := f.IsIPv6()
	dmac := f.DstMAC
	if dmac == nil && f.Dst.IsMulticast() && (v6 || f.Dst.Unmap().Is4()) {
		dmac = MulticastMAC(f.Dst)
	}
	dst = appendMAC(dst, dmac)
	dst = appendMAC(dst, f.SrcMAC)
	if f.VLAN != 0 {
		dst = binary.BigEndian.AppendUint16(dst, etherTypeVLAN)
		dst = binary.BigEndian.AppendUint16(dst, f.VLAN&0x0fff)
	}
	ttl := f.TTL
	if ttl == 0 {
		ttl = TTL
	}
	if v6 {
		return appendIPv6(dst, f, ttl)
	}
	dst = binary.BigEndian.AppendUint16(dst, etherTypeIPv4)
	ip := len(dst)
	dst = append(dst, 0x45, f.TOS)
	dst = binary.BigEndian.AppendUint16(dst, uint16(ipv4MinLen+len(f.Payload)))
	dst = append(dst, 0, 0) // identification: atomic datagram (RFC 6864)
	dst = binary.BigEndian.AppendUint16(dst, ipFlagDF)
	dst = append(dst, ttl, Protocol, 0, 0)
	src, dstIP := as4(f.Src), as4(f.Dst)
	dst = append(dst, src[:]...)
	dst = append(dst, dstIP[:]...)
	binary.BigEndian.PutUint16(dst[ip+10:ip+12], Checksum(dst[ip:ip+ipv4MinLen]))
	return append(dst, f.Payload...)
}

// appendIPv6 appends the IPv6 ethertype, header and payload of f.
func appendIPv6(dst []byte, f Frame, hopLimit uint8) []byte {
	dst = binary.BigEndian.AppendUint16(dst, etherTypeIPv6)
	dst = append(dst, 6<<4|f.TOS>>4, f.TOS<<4, 0, 0) // version, traffic class, flow label 0
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(f.Payload)))
	dst = append(dst, Protocol, hopLimit)
	var src, dstIP [16]byte
	if f.Src.Is6() {
		src = f.Src.As16()
	}
	if f.Dst.Is6() {
		dstIP = f.Dst.As16()
	}
	dst = append(dst, src[:]...)
	dst = append(dst, dstIP[:]...)
	return append(dst, f.Payload...)
}

// as4 returns the 4 bytes of an IPv4 (or IPv4-mapped) address, zeros for
// anything else, so that AppendFrame never panics.
func as4(a netip.Addr) [4]byte {
	if a = a.Unmap(); a.Is4() {
		return a.As4()
	}
	return [4]byte{}
}

func appendMAC(dst []byte, mac net.HardwareAddr) []byte {
	var b [6]byte
	copy(b[:], mac)
	return append(dst, b[:]...)
}
