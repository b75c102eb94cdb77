package witness

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// Protocol names a group's protocol, as it appears in a Snapshot.
type Protocol string

// The protocols sharing IP protocol 112.
const (
	CARP  Protocol = "carp"
	VRRP2 Protocol = "vrrp2"
	VRRP3 Protocol = "vrrp3"
)

var protoOrder = map[Protocol]int{CARP: 0, VRRP2: 1, VRRP3: 2}

// errUnknown is a protocol-112 payload that is none of the three.
var errUnknown = errors.New("witness: not CARP, VRRPv2 or VRRPv3")

// advert is one decoded advertisement, whatever its protocol.
type advert struct {
	proto    Protocol
	id       uint8 // vhid or vrid
	carp     carp.Advert
	priority uint8        // VRRP
	addrs    []netip.Addr // VRRP: the virtual addresses on the wire
	interval time.Duration
	down     time.Duration // the backups' master-down interval for this advertiser
	leaving  bool          // CARP bow-out, VRRP priority 0
	// checksumAsV2: a VRRPv3 advert whose checksum leaves out the IPv4
	// pseudo-header (carp.VRRPChecksumAsV2).
	checksumAsV2 bool
}

// decode classifies and decodes a protocol-112 payload, over IPv4 or IPv6.
// CARP and VRRPv2 share the first byte 0x21; a CARP advert is exactly 36
// bytes with authlen 7, which no VRRPv2 packet can be (7 addresses make 44
// bytes). CARP's payload is the same in both families; VRRPv2 exists over
// IPv4 only; VRRPv3 carries addresses of the IP family it travels in.
func decode(f carp.Frame) (advert, error) {
	p := f.Payload
	switch {
	case len(p) == carp.HeaderLen && p[0] == 0x21 && p[3] == carp.AuthLen:
		var a advert
		if err := a.carp.UnmarshalBinary(p); err != nil {
			return a, err
		}
		a.proto, a.id = CARP, a.carp.VHID
		skew := int(a.carp.AdvSkew) + int(a.carp.Demote)
		a.interval = carp.Interval(a.carp.AdvBase, skew)
		a.down = carp.MasterDown(a.carp.AdvBase, skew)
		a.leaving = a.carp.AdvBase == carp.BowOut && a.carp.AdvSkew == carp.BowOut
		return a, nil
	case len(p) >= 8 && p[0] == 0x21:
		if f.IsIPv6() {
			return advert{}, fmt.Errorf("witness: VRRPv2 vrid %d over IPv6 (VRRPv2 is IPv4-only)", p[1])
		}
		return decodeVRRP2(p)
	case len(p) >= 8 && p[0] == 0x31:
		return decodeVRRP3(f)
	}
	return advert{}, errUnknown
}

// vrrpAddrs reads count addresses of size bytes (4: IPv4, 16: IPv6) at
// p[8:], checking the length.
func vrrpAddrs(p []byte, count, size, trailer int) ([]netip.Addr, error) {
	if need := 8 + size*count + trailer; len(p) < need {
		return nil, fmt.Errorf("witness: VRRP packet of %d bytes, %d addresses need %d", len(p), count, need)
	}
	addrs := make([]netip.Addr, count)
	for i := range addrs {
		b := p[8+size*i : 8+size*(i+1)]
		if size == 16 {
			addrs[i] = netip.AddrFrom16([16]byte(b))
		} else {
			addrs[i] = netip.AddrFrom4([4]byte(b))
		}
	}
	return addrs, nil
}

// decodeVRRP2: version/type, vrid, priority, count, auth type, adver int
// (s), checksum (over the VRRP message), addresses, 8 bytes of auth data.
func decodeVRRP2(p []byte) (advert, error) {
	addrs, err := vrrpAddrs(p, int(p[3]), 4, 8)
	if err != nil {
		return advert{}, err
	}
	if carp.Checksum(p[:8+4*len(addrs)+8]) != 0 {
		return advert{}, fmt.Errorf("witness: VRRPv2 vrid %d: bad checksum", p[1])
	}
	a := advert{proto: VRRP2, id: p[1], priority: p[2], addrs: addrs, leaving: p[2] == 0}
	a.interval = time.Duration(p[5]) * time.Second
	a.down = 3*a.interval + time.Duration(256-int(p[2]))*time.Second/256
	return a, nil
}

// decodeVRRP3 decodes a VRRPv3 advert with carp's codec: the RFC 9568
// checksum over the pseudo-header, or, over IPv4, the VRRPv2-style one
// some routers send (carp.VRRPChecksumAsV2; accepted, and said).
func decodeVRRP3(f carp.Frame) (advert, error) {
	src, dst := f.Src.WithZone(""), f.Dst.WithZone("")
	if src.Is4() != dst.Is4() || !src.IsValid() || !dst.IsValid() {
		return advert{}, fmt.Errorf("witness: VRRPv3 vrid %d: source %v and destination %v are not of one IP family", f.Payload[1], f.Src, f.Dst)
	}
	v, err := carp.UnmarshalVRRP(f.Payload, src, dst, carp.VRRPChecksumPseudoHeader)
	asV2 := false
	if err != nil && src.Is4() {
		if v2, err2 := carp.UnmarshalVRRP(f.Payload, src, dst, carp.VRRPChecksumAsV2); err2 == nil {
			v, err, asV2 = v2, nil, true
		}
	}
	if err != nil {
		return advert{}, fmt.Errorf("witness: VRRPv3 vrid %d: %w", f.Payload[1], err)
	}
	a := advert{proto: VRRP3, id: v.VRID, priority: v.Priority, addrs: v.Addrs, leaving: v.Priority == carp.VRRPPriorityStop, checksumAsV2: asV2}
	a.interval = v.IntervalDuration()
	a.down = carp.VRRPMasterDown(v.Priority, v.Interval)
	return a, nil
}
