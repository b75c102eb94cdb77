package failover

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/carpvm/carpvm/carp"
)

const (
	etherHeaderLen = 14
	etherTypeIPv4  = 0x0800
	etherTypeARP   = 0x0806
	arpLen         = 28
	protoICMP      = 1
)

// Decoder turns captured Ethernet frames into Events for one network: CARP
// adverts (any VHID; Analyze filters), ARP from the VIP and echo replies
// from the VIP to the prober.
type Decoder struct {
	VIP netip.Addr
	// EchoID is the ICMP identifier of the prober's echo requests; 0
	// accepts any echo reply from the VIP.
	EchoID int
}

// Decode decodes one frame seen at at. It returns false for a frame that
// is none of the above or is malformed; it never panics.
func (d Decoder) Decode(at time.Time, b []byte) (Event, bool) {
	if len(b) < etherHeaderLen {
		return Event{}, false
	}
	switch binary.BigEndian.Uint16(b[12:14]) {
	case etherTypeARP:
		return d.arp(at, b[etherHeaderLen:])
	case etherTypeIPv4:
		if len(b) >= etherHeaderLen+20 && b[etherHeaderLen+9] == carp.Protocol {
			return advert(at, b)
		}
		return d.echo(at, b)
	}
	return Event{}, false
}

func advert(at time.Time, b []byte) (Event, bool) {
	f, err := carp.ParseFrame(b)
	if err != nil {
		return Event{}, false
	}
	var a carp.Advert
	if err := a.UnmarshalBinary(f.Payload); err != nil {
		return vrrpAdvert(at, f)
	}
	return Event{
		At: at, Kind: KindAdvert, VHID: a.VHID, AdvBase: a.AdvBase, AdvSkew: a.AdvSkew,
		Src: f.Src, MAC: cloneMAC(f.SrcMAC),
	}, true
}

// vrrpAdvert decodes a VRRPv3 advert (keepalived, a carpvm node with
// carpver 3), with either checksum, as an advert of its VRID whose
// interval is advbase + advskew/256 s. A priority-0 advert is a master
// stepping down, not a master's advert.
func vrrpAdvert(at time.Time, f carp.Frame) (Event, bool) {
	a, rej := carp.DecodeVRRP(f.Payload, f.Src, f.Dst, carp.VRRPChecksumPseudoHeader)
	if rej == carp.RejectChecksum && f.Src.Is4() {
		a, rej = carp.DecodeVRRP(f.Payload, f.Src, f.Dst, carp.VRRPChecksumAsV2)
	}
	if rej != 0 || a.Priority == 0 {
		return Event{}, false
	}
	cs := int(a.Interval)
	return Event{
		At: at, Kind: KindAdvert, VHID: a.VRID, AdvBase: uint8(min(cs/100, 255)), AdvSkew: uint8(cs % 100 * 256 / 100),
		Src: f.Src, MAC: cloneMAC(f.SrcMAC),
	}, true
}

// arp decodes an Ethernet/IPv4 ARP packet:
//
//	htype(2) ptype(2) hlen(1) plen(1) oper(2) sha(6) spa(4) tha(6) tpa(4)
func (d Decoder) arp(at time.Time, p []byte) (Event, bool) {
	if len(p) < arpLen || binary.BigEndian.Uint16(p[0:2]) != 1 || binary.BigEndian.Uint16(p[2:4]) != etherTypeIPv4 || p[4] != 6 || p[5] != 4 {
		return Event{}, false
	}
	op := binary.BigEndian.Uint16(p[6:8])
	sha := p[8:14]
	spa := netip.AddrFrom4([4]byte(p[14:18]))
	tpa := netip.AddrFrom4([4]byte(p[24:28]))
	if spa != d.VIP {
		return Event{}, false
	}
	ev := Event{At: at, Src: spa, MAC: cloneMAC(sha)}
	switch {
	case tpa == spa && (op == 1 || op == 2):
		ev.Kind = KindGARP
	case op == 2:
		ev.Kind = KindARPReply
	default:
		return Event{}, false
	}
	return ev, true
}

func (d Decoder) echo(at time.Time, b []byte) (Event, bool) {
	h, err := ipv4.ParseHeader(b[etherHeaderLen:])
	if err != nil || h.Protocol != protoICMP || h.Len < 20 || h.TotalLen < h.Len || etherHeaderLen+h.TotalLen > len(b) {
		return Event{}, false
	}
	src, ok := netip.AddrFromSlice(h.Src.To4())
	if !ok || src != d.VIP || h.Flags&ipv4.MoreFragments != 0 || h.FragOff != 0 {
		return Event{}, false
	}
	m, err := icmp.ParseMessage(protoICMP, b[etherHeaderLen+h.Len:etherHeaderLen+h.TotalLen])
	if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
		return Event{}, false
	}
	e, ok := m.Body.(*icmp.Echo)
	if !ok || (d.EchoID != 0 && e.ID != d.EchoID) {
		return Event{}, false
	}
	return Event{At: at, Kind: KindEchoReply, Src: src, MAC: cloneMAC(b[6:12])}, true
}

func cloneMAC(b []byte) net.HardwareAddr {
	return append(net.HardwareAddr(nil), b...)
}
