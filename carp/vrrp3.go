package carp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// VRRPv3 (RFC 9568), as FreeBSD 15's carp(4) speaks it with `carpver 3` and
// keepalived with `version 3`. It shares protocol 112, the multicast groups
// and the virtual MAC range with CARP; the first byte tells them apart (0x21
// CARP and VRRPv2, 0x31 VRRPv3).
const (
	VRRPVersion     = 3
	VRRPHeaderLen   = 8
	vrrpFirstByte   = VRRPVersion<<4 | TypeAdvertisement
	vrrpIntervalMax = 0x0fff // 12 bits of centiseconds
)

// VRRPv3 priorities with a meaning of their own (RFC 9568 §5.2.4).
const (
	// VRRPPriorityStop is sent by a master that stops: backups take over
	// after Skew_Time instead of Master_Down_Interval.
	VRRPPriorityStop = 0
	// VRRPPriorityDefault is a backup's default priority.
	VRRPPriorityDefault = 100
	// VRRPPriorityOwner belongs to the router that owns the virtual
	// addresses as its real ones.
	VRRPPriorityOwner = 255
)

// VRRPIntervalDefault is the default Max Advertise Interval: 100
// centiseconds (1 s).
const VRRPIntervalDefault = 100

// VRRPChecksum says what a VRRPv3 checksum covers.
type VRRPChecksum uint8

const (
	// VRRPChecksumPseudoHeader is RFC 9568 §5.2.8: the IPv4 or IPv6
	// pseudo-header, then the VRRP message.
	VRRPChecksumPseudoHeader VRRPChecksum = iota
	// VRRPChecksumAsV2 covers the VRRP message only, as VRRPv2 does: some
	// IPv4 VRRPv3 implementations send it (Wireshark decodes them with its
	// vrrp.v3_checksum_as_in_v2 preference). IPv6 always uses the
	// pseudo-header.
	VRRPChecksumAsV2
)

// ErrVRRP is wrapped by every VRRPv3 encoding and decoding error.
var ErrVRRP = errors.New("vrrp: bad advertisement")

// VRRPAdvert is a VRRPv3 advertisement. On the wire:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|(rsvd) |     Max Adver Int     |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 IPvX Address(es) (4 or 16 bytes each)         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// There is no authentication field: VRRPv3 removed it, so anyone on the
// segment can take over a group (say so wherever a VRRPv3 group is shown).
type VRRPAdvert struct {
	VRID, Priority uint8
	// Interval is the Max Advertise Interval in centiseconds (12 bits).
	Interval uint16
	// Checksum is filled by AppendBinary and kept by DecodeVRRP.
	Checksum uint16
	// Addrs are the virtual addresses, all of one family: the family of
	// the IP packet that carries the advert.
	Addrs []netip.Addr
}

// IntervalDuration is a.Interval as a duration.
func (a VRRPAdvert) IntervalDuration() time.Duration { return centiseconds(a.Interval) }

// AppendBinary appends the encoding of a, sent from src to dst, to b and
// fills a.Checksum. The checksum's pseudo-header needs src and dst (the
// addresses of the IP header that will carry it). It refuses an advert
// that cannot be sent: VRID 0, an interval of 0 or above 4095 cs, no
// address, more than 255, or addresses of another family than src's.
func (a *VRRPAdvert) AppendBinary(b []byte, src, dst netip.Addr, mode VRRPChecksum) ([]byte, error) {
	if err := a.validate(src, dst); err != nil {
		return b, err
	}
	n := len(b)
	b = append(b, vrrpFirstByte, a.VRID, a.Priority, uint8(len(a.Addrs)))
	b = binary.BigEndian.AppendUint16(b, a.Interval&vrrpIntervalMax)
	b = append(b, 0, 0)
	for _, ip := range a.Addrs {
		b = append(b, ip.AsSlice()...)
	}
	a.Checksum = vrrpChecksum(b[n:], src, dst, mode)
	binary.BigEndian.PutUint16(b[n+6:n+8], a.Checksum)
	return b, nil
}

func (a *VRRPAdvert) validate(src, dst netip.Addr) error {
	switch {
	case a.VRID == 0:
		return fmt.Errorf("%w: VRID 0 (want 1..255)", ErrVRRP)
	case a.Interval == 0 || a.Interval > vrrpIntervalMax:
		return fmt.Errorf("%w: interval %d cs (want 1..%d)", ErrVRRP, a.Interval, vrrpIntervalMax)
	case len(a.Addrs) == 0 || len(a.Addrs) > 255:
		return fmt.Errorf("%w: %d addresses (want 1..255)", ErrVRRP, len(a.Addrs))
	case !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4():
		return fmt.Errorf("%w: source %v and destination %v are not one IP family", ErrVRRP, src, dst)
	}
	for _, ip := range a.Addrs {
		if ip.Unmap().Is4() != src.Is4() || ip.Zone() != "" {
			return fmt.Errorf("%w: address %v in an advert sent from %v (one family per advert, no zone)", ErrVRRP, ip, src)
		}
	}
	return nil
}

// DecodeVRRP decodes a VRRPv3 advertisement carried from src to dst. It
// returns why a payload is refused, in this order: shorter than the header
// (RejectShort), not version 3 type 1 (RejectVersion: a CARP or VRRPv2
// advert on a VRRPv3 group lands here), an address count that does not fit
// the length (RejectAddrCount), a bad checksum (RejectChecksum). Bytes after
// the addresses are ignored, as RFC 9568 lets IPv4 padding through.
func DecodeVRRP(b []byte, src, dst netip.Addr, mode VRRPChecksum) (VRRPAdvert, Reject) {
	var a VRRPAdvert
	if len(b) < VRRPHeaderLen {
		return a, RejectShort
	}
	if b[0] != vrrpFirstByte {
		return a, RejectVersion
	}
	size := 16
	if src.Is4() {
		size = 4
	}
	count := int(b[3])
	end := VRRPHeaderLen + count*size
	if count == 0 || len(b) < end {
		return a, RejectAddrCount
	}
	if vrrpChecksum(b[:end], src, dst, mode) != 0 {
		return a, RejectChecksum
	}
	a.VRID, a.Priority = b[1], b[2]
	a.Interval = binary.BigEndian.Uint16(b[4:6]) & vrrpIntervalMax
	a.Checksum = binary.BigEndian.Uint16(b[6:8])
	a.Addrs = make([]netip.Addr, 0, count)
	for off := VRRPHeaderLen; off < end; off += size {
		ip, _ := netip.AddrFromSlice(b[off : off+size])
		a.Addrs = append(a.Addrs, ip)
	}
	return a, 0
}

// UnmarshalVRRP is DecodeVRRP with an error that says what was wrong, for
// tools (the witness, tests) rather than the receive path.
func UnmarshalVRRP(b []byte, src, dst netip.Addr, mode VRRPChecksum) (VRRPAdvert, error) {
	a, rej := DecodeVRRP(b, src, dst, mode)
	switch rej {
	case 0:
		return a, nil
	case RejectShort:
		return a, fmt.Errorf("%w: %d bytes, want at least %d: %w", ErrVRRP, len(b), VRRPHeaderLen, io.ErrUnexpectedEOF)
	case RejectVersion:
		return a, fmt.Errorf("%w: version %d type %d, want version 3 type 1", ErrVRRP, b[0]>>4, b[0]&0x0f)
	case RejectAddrCount:
		return a, fmt.Errorf("%w: %d addresses do not fit in %d bytes", ErrVRRP, b[3], len(b))
	default:
		return a, fmt.Errorf("%w: bad checksum 0x%04x", ErrVRRP, binary.BigEndian.Uint16(b[6:8]))
	}
}

// vrrpChecksum is the checksum of msg sent from src to dst: with the
// pseudo-header (RFC 9568 §5.2.8), or without it for an IPv4 advert in
// as-v2 mode (IPv6 always has it). Over an advert carrying a correct
// checksum it is 0.
func vrrpChecksum(msg []byte, src, dst netip.Addr, mode VRRPChecksum) uint16 {
	if src.Is4() && mode == VRRPChecksumAsV2 {
		return Checksum(msg)
	}
	return PseudoHeaderChecksum(src, dst, Protocol, msg)
}

// VRRPSkew is RFC 9568's Skew_Time: ((256 - priority) * interval) / 256
// centiseconds, so that the highest-priority backup takes over first.
func VRRPSkew(priority uint8, interval uint16) time.Duration {
	return centiseconds(uint16((256 - int(priority)) * int(interval) / 256))
}

// VRRPMasterDown is RFC 9568's Master_Down_Interval: three of the master's
// intervals plus this backup's Skew_Time.
func VRRPMasterDown(priority uint8, masterInterval uint16) time.Duration {
	return 3*centiseconds(masterInterval) + VRRPSkew(priority, masterInterval)
}

// VRRPDemotedPriority is the priority a VRRPv3 group advertises under a
// router's demotion (see Demotion): the configured priority less the
// demotion, never below 1. FreeBSD's DEMOTE_VRRP_PRIO (review D55558)
// clamps at 0 instead, and leaves an owner's 255 alone; carpvm departs from
// it on both counts. 0 means "this master is stopping": two routers
// demoted that far (a switch both uplinks share went down) would answer
// each other's 0 at once, or hand the group back and forth every interval
// (TestVRRPBothDemotedStaysPut); and a demoted owner that kept 255 would
// keep its groups with an interface down, where the whole router should
// fail over.
func VRRPDemotedPriority(priority uint8, demotion int) uint8 {
	p := int(priority) - demotion
	if p < 1 {
		return 1
	}
	if p > VRRPPriorityOwner {
		return VRRPPriorityOwner
	}
	return uint8(p)
}

func centiseconds(cs uint16) time.Duration { return time.Duration(cs) * 10 * time.Millisecond }

// VRRPVirtualMAC6 is VRRP's IPv6 virtual router MAC, 00:00:5e:00:02:<vrid>
// (RFC 9568 §7.3). IPv4 VRRP shares CARP's 00:00:5e:00:01:<vrid>
// (VirtualMAC).
func VRRPVirtualMAC6(vrid uint8) net.HardwareAddr {
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x02, vrid}
}
