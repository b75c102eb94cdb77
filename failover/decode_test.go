package failover

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/carpvm/carpvm/carp"
)

var clientMAC = net.HardwareAddr{0x02, 0xcc, 0, 0, 0, 0x13}

func advertFrame(t testing.TB, src netip.Addr, skew uint8) []byte {
	a := carp.Advert{VHID: 1, AdvBase: 1, AdvSkew: skew, Counter: 7}
	p, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return carp.AppendFrame(nil, carp.Frame{SrcMAC: vmac, Src: src, Dst: carp.GroupV4, TTL: 255, TOS: carp.TOSFreeBSD, Payload: p})
}

func arpFrame(op uint16, sha net.HardwareAddr, spa, tpa netip.Addr) []byte {
	b := append(net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, sha...)
	b = binary.BigEndian.AppendUint16(b, etherTypeARP)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, etherTypeIPv4)
	b = append(b, 6, 4)
	b = binary.BigEndian.AppendUint16(b, op)
	b = append(b, sha...)
	s, d := spa.As4(), tpa.As4()
	b = append(b, s[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, d[:]...)
}

func echoReplyFrame(t testing.TB, src net.HardwareAddr, from netip.Addr, id int) []byte {
	msg := icmp.Message{Type: ipv4.ICMPTypeEchoReply, Body: &icmp.Echo{ID: id, Seq: 1, Data: []byte("carpvm drill")}}
	body, err := msg.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := ipv4.Header{Version: 4, Len: 20, TotalLen: 20 + len(body), TTL: 64, Protocol: 1, Src: from.AsSlice(), Dst: net.IP{172, 27, 27, 13}}
	hb, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b := append(append(clientMAC[:6:6], src...), 0x08, 0x00)
	return append(append(b, hb...), body...)
}

func TestDecode(t *testing.T) {
	d := Decoder{VIP: vip, EchoID: 42}
	for _, tc := range []struct {
		name  string
		frame []byte
		want  Kind
		src   netip.Addr
		mac   net.HardwareAddr
	}{
		{"advert", advertFrame(t, r3, 100), KindAdvert, r3, vmac},
		{"arp reply from the VIP", arpFrame(2, vmac, vip, netip.MustParseAddr("172.27.27.13")), KindARPReply, vip, vmac},
		{"gratuitous request", arpFrame(1, r3mac, vip, vip), KindGARP, vip, r3mac},
		{"gratuitous reply", arpFrame(2, r3mac, vip, vip), KindGARP, vip, r3mac},
		{"arp request for the VIP", arpFrame(1, clientMAC, netip.MustParseAddr("172.27.27.13"), vip), 0, netip.Addr{}, nil},
		{"arp reply from another address", arpFrame(2, r3mac, r3, netip.MustParseAddr("172.27.27.13")), 0, netip.Addr{}, nil},
		{"echo reply", echoReplyFrame(t, vmac, vip, 42), KindEchoReply, vip, vmac},
		{"someone else's echo reply", echoReplyFrame(t, vmac, vip, 43), 0, netip.Addr{}, nil},
		{"echo reply from a router's own address", echoReplyFrame(t, vmac, r2, 42), 0, netip.Addr{}, nil},
		{"short", []byte{1, 2, 3}, 0, netip.Addr{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := d.Decode(t0, tc.frame)
			if ok != (tc.want != 0) {
				t.Fatalf("Decode ok = %t, want %t (%+v)", ok, tc.want != 0, ev)
			}
			if !ok {
				return
			}
			if ev.Kind != tc.want || ev.Src != tc.src || ev.MAC.String() != tc.mac.String() || !ev.At.Equal(t0) {
				t.Errorf("Decode = %+v, want kind %s src %v mac %v", ev, tc.want, tc.src, tc.mac)
			}
			if tc.want == KindAdvert && (ev.VHID != 1 || ev.AdvSkew != 100 || ev.AdvBase != 1) {
				t.Errorf("advert fields %+v", ev)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(advertFrame(f, r2, 0))
	f.Add(arpFrame(2, vmac, vip, vip))
	f.Add(echoReplyFrame(f, vmac, vip, 42))
	f.Add([]byte{})
	d := Decoder{VIP: vip}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, ok := d.Decode(t0, b)
		if !ok {
			return
		}
		// What is decoded names the VIP or is an advert, with a 6-byte MAC.
		if ev.Kind != KindAdvert && ev.Src != vip {
			t.Errorf("decoded %s from %v, not the VIP", ev.Kind, ev.Src)
		}
		if len(ev.MAC) != 6 {
			t.Errorf("MAC %v is not 6 bytes", ev.MAC)
		}
	})
}
