package witness

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/carp"
)

var (
	vip6   = netip.MustParseAddr("2001:db8::14")
	nodeA6 = netip.MustParseAddr("fe80::11")
	nodeB6 = netip.MustParseAddr("fe80::12")
)

// carpFrame6 is an IPv6 advert of a dual-stack group (VIPs vip and vip6),
// parsed back from the wire encoding.
func carpFrame6(t *testing.T, k *carp.Key, src netip.Addr, advskew uint8, counter uint64) carp.Frame {
	t.Helper()
	a := carp.Advert{VHID: 1, AdvBase: 1, AdvSkew: advskew, Counter: counter}
	a.HMAC = k.Sum(1, []netip.Addr{vip, vip6}, counter)
	p, _ := a.MarshalBinary()
	f, err := carp.ParseFrame(carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), Src: src, Dst: carp.GroupV6,
		TTL: 255, TOS: carp.TOSFreeBSD, Payload: p}))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func carpFrame4(k *carp.Key, src netip.Addr, advskew uint8, counter uint64) carp.Frame {
	a := carp.Advert{VHID: 1, AdvBase: 1, AdvSkew: advskew, Counter: counter}
	a.HMAC = k.Sum(1, []netip.Addr{vip, vip6}, counter)
	p, _ := a.MarshalBinary()
	return carp.Frame{SrcMAC: carp.VirtualMAC(1), Src: src, Dst: carp.GroupV4, TTL: 255, TOS: carp.TOSFreeBSD, Payload: p}
}

// A dual-stack pair: the master advertises in both families (IPv4 from
// its address, IPv6 from its link-local address); the witness shows one
// group per family, each with one master and a verified HMAC, and no
// two-masters warning. A split brain in the IPv6 group alone is reported
// for that family.
func TestDualStackGroups(t *testing.T) {
	k := key(t, "pass")
	w := New(Options{Key: k, VIPs: map[uint8][]netip.Addr{1: {vip, vip6}}})
	for i := range 10 {
		at := t0.Add(time.Duration(i) * time.Second)
		c := uint64(1000 + 2*i)
		w.Observe(at, carpFrame4(k, nodeA, 0, c))
		w.Observe(at, carpFrame6(t, k, nodeA6, 0, c+1))
	}
	s := w.Snapshot(t0.Add(10 * time.Second))
	type row struct {
		Proto   Protocol
		ID      uint8
		Family  Family
		Masters []netip.Addr
	}
	var got []row
	for _, g := range s.Groups {
		got = append(got, row{g.Protocol, g.ID, g.Family, g.Masters})
	}
	want := []row{{CARP, 1, IPv4, []netip.Addr{nodeA}}, {CARP, 1, IPv6, []netip.Addr{nodeA6}}}
	if diff := cmp.Diff(want, got, addrEq); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings on a healthy dual-stack pair: %+v", s.Warnings)
	}
	a6 := s.Groups[1].Advertisers[0]
	if a6.Src != nodeA6 || a6.Auth != AuthOK || a6.TTL != 255 || a6.MAC != "00:00:5e:00:01:01" || a6.Adverts != 10 || a6.Observed != time.Second {
		t.Errorf("IPv6 advertiser %+v", a6)
	}

	// B starts advertising over IPv6 too while A keeps going: split brain.
	for i := 10; i < 15; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		w.Observe(at, carpFrame4(k, nodeA, 0, uint64(1000+2*i)))
		w.Observe(at, carpFrame6(t, k, nodeA6, 0, uint64(1001+2*i)))
		w.Observe(at, carpFrame6(t, k, nodeB6, 100, uint64(5000+i)))
	}
	s = w.Snapshot(t0.Add(15 * time.Second))
	// The virtual MAC comes from both: a MAC flap on the switch too.
	if diff := cmp.Diff([]string{WarnMACFlap, WarnTwoMasters}, codes(s.Warnings)); diff != "" {
		t.Fatalf("warnings (-want +got):\n%s", diff)
	}
	if m := s.Warnings[1].Message; m != "carp 1 (ipv6) has 2 masters advertising at once: [fe80::11 fe80::12]" {
		t.Errorf("message %q", m)
	}
	// The wrong passphrase fails over IPv6 as over IPv4.
	w = New(Options{Key: key(t, "other"), VIPs: map[uint8][]netip.Addr{1: {vip, vip6}}})
	w.Observe(t0, carpFrame6(t, k, nodeA6, 0, 1))
	if a := w.Snapshot(t0).Groups[0].Advertisers[0]; a.Auth != AuthFailed {
		t.Errorf("IPv6 advert with another key: auth %s", a.Auth)
	}
}

// vrrp3v6 builds a VRRPv3 advertisement over IPv6 (RFC 5798: IPv6
// addresses, checksum over the IPv6 pseudo-header).
func vrrp3v6(src netip.Addr, vrid, prio uint8, centis uint16, addrs ...netip.Addr) []byte {
	p := []byte{0x31, vrid, prio, byte(len(addrs)), byte(centis >> 8 & 0x0f), byte(centis), 0, 0}
	for _, a := range addrs {
		b := a.As16()
		p = append(p, b[:]...)
	}
	s, d := src.As16(), netip.MustParseAddr("ff02::12").As16()
	ph := append(append([]byte{}, s[:]...), d[:]...)
	ph = binary.BigEndian.AppendUint32(ph, uint32(len(p)))
	ph = append(ph, 0, 0, 0, 112)
	binary.BigEndian.PutUint16(p[6:], inetSum(append(ph, p...)))
	return p
}

func TestVRRPOverIPv6(t *testing.T) {
	w := New(Options{})
	src := netip.MustParseAddr("fe80::5")
	p := vrrp3v6(src, 9, 150, 100, netip.MustParseAddr("fe80::1"), vip6)
	w.Observe(t0, carp.Frame{Src: src, Dst: carp.GroupV6, TTL: 255, Payload: p})
	bad := append([]byte(nil), p...)
	bad[6] ^= 1
	w.Observe(t0, carp.Frame{Src: src, Dst: carp.GroupV6, TTL: 255, Payload: bad})
	// The IPv4 pseudo-header does not verify an IPv6 packet's checksum.
	w.Observe(t0, carp.Frame{Src: netip.MustParseAddr("10.0.0.5"), Dst: carp.GroupV4, TTL: 255, Payload: p[:8+32]})
	// VRRPv2 does not exist over IPv6.
	w.Observe(t0, carp.Frame{Src: src, Dst: carp.GroupV6, TTL: 255, Payload: vrrp2(3, 100, 1, vip)})
	s := w.Snapshot(t0)
	if len(s.Groups) != 1 || s.Groups[0].Protocol != VRRP3 || s.Groups[0].Family != IPv6 {
		t.Fatalf("groups %+v; want vrrp3 9 over IPv6 alone", s.Groups)
	}
	a := s.Groups[0].Advertisers[0]
	if a.Priority != 150 || a.Interval != time.Second || !cmp.Equal(a.Addresses, []netip.Addr{netip.MustParseAddr("fe80::1"), vip6}, addrEq) {
		t.Errorf("vrrp3 over IPv6: %+v", a)
	}
	if s.Malformed != 3 {
		t.Errorf("malformed %d, want 3 (bad checksum, wrong family's checksum, VRRPv2 over IPv6)", s.Malformed)
	}
}
