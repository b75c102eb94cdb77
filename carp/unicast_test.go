package carp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/carpvm/carpvm/internal/capture"
)

// TestTsharkDecodesUnicastCARP: a unicast advert (FreeBSD 14 peer: from
// the NIC's own MAC and address to the peer's) is the same CARP payload,
// and tshark decodes it as CARP with a good checksum.
func TestTsharkDecodesUnicastCARP(t *testing.T) {
	self, peer := netip.MustParseAddr("172.27.27.11"), netip.MustParseAddr("172.27.27.12")
	m, err := NewMachine(Config{VHID: 1, AdvBase: 1, Key: netKey(t), VIPs: []netip.Addr{netip.MustParseAddr("172.27.27.14")},
		Self: self, Peer: peer, Counter: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	m.Start(t0)
	var pkts []capture.Packet
	for _, a := range m.Tick(t0.Add(10 * sec)) {
		if s, ok := a.(SendAdvert); ok {
			if s.Dst != peer {
				t.Fatalf("advert to %v, want the peer %v", s.Dst, peer)
			}
			fr := AppendFrame(nil, Frame{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 0x11}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 0x12},
				Src: self, Dst: s.Dst, TTL: TTL, TOS: TOSFreeBSD, Payload: s.Payload})
			pkts = append(pkts, capture.Packet{At: time.Unix(0, 0), Data: fr})
		}
	}
	lines := tsharkFields(t, pkts, "-d", "ip.proto==112,carp", "-T", "fields",
		"-e", "ip.dst", "-e", "carp.vhid", "-e", "carp.checksum.status")
	if len(pkts) != 1 || len(lines) != 1 || lines[0] != "172.27.27.12\t1\t1" {
		t.Errorf("tshark decodes %d unicast adverts as %q, want one CARP vhid 1 to 172.27.27.12 with a good checksum", len(pkts), lines)
	}
}
