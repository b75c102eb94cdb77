package node

import (
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/carpvm/carpvm/carp"
)

func TestFilterAdmitsOnlyProtocol112(t *testing.T) {
	vm, err := bpf.NewVM(filterProgram())
	if err != nil {
		t.Fatal(err)
	}
	advert := carp.AppendFrame(nil, carp.Frame{
		SrcMAC: carp.VirtualMAC(1), Src: netip.MustParseAddr("10.0.0.1"), Dst: carp.GroupV4,
		TOS: 0xe0, Payload: make([]byte, carp.HeaderLen),
	})
	tagged := carp.AppendFrame(nil, carp.Frame{
		SrcMAC: carp.VirtualMAC(1), VLAN: 42, Src: netip.MustParseAddr("10.0.0.1"), Dst: carp.GroupV4,
		Payload: make([]byte, carp.HeaderLen),
	})
	udp := append([]byte(nil), advert...)
	udp[offIPProto] = 17
	taggedUDP := append([]byte(nil), tagged...)
	taggedUDP[offVLANIPProto] = 17
	garp, err := appendGARP(nil, carp.VirtualMAC(1), netip.MustParseAddr("10.0.0.14"))
	if err != nil {
		t.Fatal(err)
	}
	ipv6 := append([]byte(nil), advert...)
	ipv6[12], ipv6[13] = 0x86, 0xdd // an IPv4 packet under the IPv6 ethertype
	advert6 := carp.AppendFrame(nil, carp.Frame{
		SrcMAC: carp.VirtualMAC(1), Src: netip.MustParseAddr("fe80::1"), Dst: carp.GroupV6,
		TOS: 0xe0, Payload: make([]byte, carp.HeaderLen),
	})
	tagged6 := carp.AppendFrame(nil, carp.Frame{
		SrcMAC: carp.VirtualMAC(1), VLAN: 42, Src: netip.MustParseAddr("fe80::1"), Dst: carp.GroupV6,
		Payload: make([]byte, carp.HeaderLen),
	})
	withHeader := func(b []byte, off int, nh byte) []byte {
		b = append([]byte(nil), b...)
		b[off] = nh
		return b
	}
	na, err := appendNA(nil, carp.VirtualMAC(1), netip.MustParseAddr("2001:db8::14"), false)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		frame []byte
		pass  bool
	}{
		{"carp advert", advert, true},
		{"carp advert behind 802.1Q", tagged, true},
		{"udp", udp, false},
		{"udp behind 802.1Q", taggedUDP, false},
		{"arp", garp, false},
		{"ipv6 ethertype over an IPv4 packet", ipv6, false},
		{"carp advert over IPv6", advert6, true},
		{"carp advert over IPv6 behind 802.1Q", tagged6, true},
		{"ipv6 udp", withHeader(advert6, offIPv6NextHeader, 17), false},
		{"ipv6 hop-by-hop header before carp", withHeader(advert6, offIPv6NextHeader, 0), false},
		{"ipv6 udp behind 802.1Q", withHeader(tagged6, offVLANIPv6NextHdr, 17), false},
		{"neighbour advertisement", na, false},
		{"802.1Q over arp", withHeader(withHeader(tagged, offVLANEtherType, 0x08), offVLANEtherType+1, 0x06), false},
		{"runt ipv6", advert6[:19], false},
		{"runt", advert[:13], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := vm.Run(tc.frame)
			if err != nil && tc.pass {
				t.Fatal(err)
			}
			if got := n > 0; got != tc.pass {
				t.Errorf("filter kept %d bytes; want pass=%v", n, tc.pass)
			}
		})
	}
	if _, err := assembledFilter(); err != nil {
		t.Fatal(err)
	}
}

func TestGARPFrame(t *testing.T) {
	b, err := appendGARP(nil, carp.VirtualMAC(2), netip.MustParseAddr("203.0.113.10"))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x02, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
		0x00, 0x00, 0x5e, 0x00, 0x01, 0x02, 203, 0, 113, 10,
		0, 0, 0, 0, 0, 0, 203, 0, 113, 10,
	}
	if string(b) != string(want) {
		t.Errorf("GARP frame\n got % x\nwant % x", b, want)
	}
	if _, err := appendGARP(nil, carp.VirtualMAC(2), netip.MustParseAddr("2001:db8::1")); err == nil {
		t.Error("GARP for an IPv6 VIP accepted")
	}
	if _, err := appendGARP(nil, []byte{1, 2, 3}, netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("GARP from a 3-byte MAC accepted")
	}
}

func TestMacvlanName(t *testing.T) {
	for _, tc := range []struct {
		vhid   uint8
		parent string
		want   string
	}{
		{1, "eth0", "carp1-eth0"},
		{255, "enp11s0f1np1", "carp255-enp11s0"},
		{2, "vmx0", "carp2-vmx0"},
	} {
		if got := MacvlanName(tc.vhid, tc.parent); got != tc.want || len(got) > 15 {
			t.Errorf("MacvlanName(%d, %q) = %q, want %q", tc.vhid, tc.parent, got, tc.want)
		}
	}
	if got := dotsToSlashes("net.ipv4.conf." + sysctlIf("eth0.100") + ".arp_ignore"); got != "net/ipv4/conf/eth0.100/arp_ignore" {
		t.Errorf("sysctl path for a VLAN interface = %q", got)
	}
}
