package node

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/carpvm/carpvm/carp"
)

// filterCase is a frame and whether the node must see it (pass) or the
// filter claims to drop it.
type filterCase struct {
	name  string
	frame []byte
	pass  bool
}

// filterCases are the frames the kernel filter is judged on: every frame
// the node must see (CARP and VRRPv3, both protocol 112, over IPv4 and
// IPv6, untagged and behind an 802.1Q tag still in the frame, because
// the node counts adverts of other VLANs; the kernel usually takes the tag
// out, and then the filter sees the untagged frame) and what it drops.
func filterCases(t testing.TB) []filterCase {
	t.Helper()
	src4, src6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fe80::1")
	frame := func(vlan uint16, src, dst netip.Addr, payload []byte) []byte {
		return carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), VLAN: vlan, Src: src, Dst: dst, TOS: 0xe0, Payload: payload})
	}
	carpAdvert := make([]byte, carp.HeaderLen)
	carpAdvert[0] = 0x21 // CARP version 2, type advertisement
	// VRRPv3 (RFC 9568): version 3, type 1, vrid 1, priority 100, one
	// IPv4 address (IPv6: one 16-byte address).
	vrrp4 := []byte{0x31, 1, 100, 1, 0, 100, 0, 0, 10, 0, 0, 14}
	vrrp6 := append([]byte{0x31, 1, 100, 1, 0, 100, 0, 0}, netip.MustParseAddr("2001:db8::14").AsSlice()...)
	advert := frame(0, src4, carp.GroupV4, carpAdvert)
	tagged := frame(42, src4, carp.GroupV4, carpAdvert)
	advert6 := frame(0, src6, carp.GroupV6, carpAdvert)
	tagged6 := frame(42, src6, carp.GroupV6, carpAdvert)
	with := func(b []byte, off int, v ...byte) []byte {
		b = append([]byte(nil), b...)
		copy(b[off:], v)
		return b
	}
	garp, err := appendGARP(nil, carp.VirtualMAC(1), netip.MustParseAddr("10.0.0.14"))
	if err != nil {
		t.Fatal(err)
	}
	na, err := appendNA(nil, carp.VirtualMAC(1), netip.MustParseAddr("2001:db8::14"), false)
	if err != nil {
		t.Fatal(err)
	}
	return []filterCase{
		{"carp ipv4", advert, true},
		{"carp ipv4 behind 802.1Q", tagged, true},
		{"carp ipv6", advert6, true},
		{"carp ipv6 behind 802.1Q", tagged6, true},
		{"vrrpv3 ipv4", frame(0, src4, carp.GroupV4, vrrp4), true},
		{"vrrpv3 ipv4 behind 802.1Q", frame(7, src4, carp.GroupV4, vrrp4), true},
		{"vrrpv3 ipv6", frame(0, src6, carp.GroupV6, vrrp6), true},
		{"vrrpv3 ipv6 behind 802.1Q", frame(7, src6, carp.GroupV6, vrrp6), true},
		{"carp ipv4 with ttl 1 (the machine counts bad_ttl)", with(advert, 14+8, 1), true},
		{"udp", with(advert, offIPProto, 17), false},
		{"udp behind 802.1Q", with(tagged, offVLANIPProto, 17), false},
		{"arp", garp, false},
		{"ipv6 ethertype over an ipv4 packet", with(advert, 12, 0x86, 0xdd), false},
		{"ipv6 udp", with(advert6, offIPv6NextHeader, 17), false},
		{"ipv6 hop-by-hop header before carp", with(advert6, offIPv6NextHeader, 0), false},
		{"ipv6 udp behind 802.1Q", with(tagged6, offVLANIPv6NextHdr, 17), false},
		{"neighbour advertisement", na, false},
		{"802.1Q over arp", with(tagged, offVLANEtherType, 0x08, 0x06), false},
		{"runt ipv6", advert6[:19], false},
		{"runt", advert[:13], false},
	}
}

// filterMismatches runs prog in x/net/bpf's VM over the cases and returns
// one line per case it judges otherwise than the case says.
func filterMismatches(t testing.TB, prog []bpf.Instruction, cases []filterCase) []string {
	t.Helper()
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, c := range cases {
		n, err := vm.Run(c.frame)
		if got := err == nil && n > 0; got != c.pass {
			bad = append(bad, fmt.Sprintf("%s: filter kept %d bytes (err %v); want pass=%v", c.name, n, err, c.pass))
		}
	}
	return bad
}

// TestFilterAdmitsWhatTheNodeMustSee judges the kernel filter in the BPF
// VM: it admits every protocol-112 frame the node must see and drops the
// rest as it claims.
func TestFilterAdmitsWhatTheNodeMustSee(t *testing.T) {
	for _, m := range filterMismatches(t, filterProgram(), filterCases(t)) {
		t.Error(m)
	}
	if _, err := assembledFilter(); err != nil {
		t.Fatal(err)
	}
}

// TestFilterCheckCatchesWrongFilters: the check above fails for filters
// that are wrong in the ways that matter (IPv6 forgotten, tags forgotten,
// everything admitted).
func TestFilterCheckCatchesWrongFilters(t *testing.T) {
	prog := filterProgram()
	noIPv6 := slices.Clone(prog)
	noIPv6[4] = bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xffff, SkipFalse: 2} // the IPv6 ethertype test never holds
	noTags := slices.Clone(prog)
	noTags[7] = bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xffff, SkipFalse: 7} // the 802.1Q test never holds
	acceptAll := []bpf.Instruction{bpf.RetConstant{Val: snapLen}}
	for name, wrong := range map[string][]bpf.Instruction{"no ipv6": noIPv6, "no 802.1Q": noTags, "accept all": acceptAll} {
		if len(filterMismatches(t, wrong, filterCases(t))) == 0 {
			t.Errorf("filter %q passed the check", name)
		}
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
