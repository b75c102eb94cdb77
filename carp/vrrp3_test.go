package carp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/carpvm/carpvm/internal/capture"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	vrrpSrc4 = netip.MustParseAddr("172.27.27.11")
	vrrpSrc6 = netip.MustParseAddr("fe80::2")
	vrrpVIP4 = netip.MustParseAddr("172.27.27.14")
	vrrpVIP6 = netip.MustParseAddr("2001:db8::14")
)

func TestVRRPRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src, dst netip.Addr
		mode     VRRPChecksum
		addrs    []netip.Addr
	}{
		{"ipv4", vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader, []netip.Addr{vrrpVIP4, netip.MustParseAddr("172.27.27.10")}},
		{"ipv4 as v2", vrrpSrc4, GroupV4, VRRPChecksumAsV2, []netip.Addr{vrrpVIP4}},
		{"ipv6", vrrpSrc6, GroupV6, VRRPChecksumPseudoHeader, []netip.Addr{netip.MustParseAddr("fe80::14"), vrrpVIP6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := VRRPAdvert{VRID: 7, Priority: 150, Interval: 100, Addrs: tc.addrs}
			b, err := a.AppendBinary([]byte{0xaa}, tc.src, tc.dst, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != 0xaa || b[1] != 0x31 {
				t.Fatalf("AppendBinary must append after the prefix, version 3 type 1 first: %x", b[:2])
			}
			got, rej := DecodeVRRP(b[1:], tc.src, tc.dst, tc.mode)
			if rej != 0 {
				t.Fatalf("decode: %v", rej)
			}
			if diff := cmp.Diff(a, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("round trip (-sent +decoded):\n%s", diff)
			}
			if got.IntervalDuration() != time.Second {
				t.Errorf("interval %v, want 1s", got.IntervalDuration())
			}
		})
	}
}

// TestVRRPChecksumModes: the pseudo-header is what makes an advert of one
// mode fail in the other, and what ties the checksum to the addresses.
func TestVRRPChecksumModes(t *testing.T) {
	a := VRRPAdvert{VRID: 1, Priority: 100, Interval: 100, Addrs: []netip.Addr{vrrpVIP4}}
	rfc, _ := a.AppendBinary(nil, vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader)
	v2, _ := a.AppendBinary(nil, vrrpSrc4, GroupV4, VRRPChecksumAsV2)
	if bytes.Equal(rfc, v2) {
		t.Fatal("both modes gave the same checksum")
	}
	if _, rej := DecodeVRRP(v2, vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader); rej != RejectChecksum {
		t.Errorf("as-v2 advert under the RFC checksum: %v, want %v", rej, RejectChecksum)
	}
	if _, rej := DecodeVRRP(rfc, vrrpSrc4, GroupV4, VRRPChecksumAsV2); rej != RejectChecksum {
		t.Errorf("RFC advert under as-v2: %v, want %v", rej, RejectChecksum)
	}
	if _, rej := DecodeVRRP(rfc, netip.MustParseAddr("172.27.27.12"), GroupV4, VRRPChecksumPseudoHeader); rej != RejectChecksum {
		t.Errorf("advert claimed by another source: %v, want %v", rej, RejectChecksum)
	}
	// IPv6 always carries the pseudo-header, whatever the mode says.
	a6 := VRRPAdvert{VRID: 1, Priority: 100, Interval: 100, Addrs: []netip.Addr{vrrpVIP6}}
	b6, _ := a6.AppendBinary(nil, vrrpSrc6, GroupV6, VRRPChecksumAsV2)
	if _, rej := DecodeVRRP(b6, vrrpSrc6, GroupV6, VRRPChecksumPseudoHeader); rej != 0 {
		t.Errorf("IPv6 advert sent 'as v2' must still carry the pseudo-header: %v", rej)
	}
}

func TestVRRPRejections(t *testing.T) {
	good, _ := (&VRRPAdvert{VRID: 1, Priority: 100, Interval: 100, Addrs: []netip.Addr{vrrpVIP4}}).
		AppendBinary(nil, vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader)
	carpAdvert, _ := (&Advert{VHID: 1, AdvBase: 1}).MarshalBinary()
	v2 := bytes.Clone(good)
	v2[0] = 0x21
	count := bytes.Clone(good)
	count[3] = 2
	zero := bytes.Clone(good)
	zero[3] = 0
	sum := bytes.Clone(good)
	sum[6] ^= 0x01
	for _, tc := range []struct {
		name string
		b    []byte
		want Reject
	}{
		{"short", good[:7], RejectShort},
		{"a CARP advert", carpAdvert, RejectVersion},
		{"VRRPv2", v2, RejectVersion},
		{"count beyond the length", count, RejectAddrCount},
		{"no address", zero, RejectAddrCount},
		{"bad checksum", sum, RejectChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, rej := DecodeVRRP(tc.b, vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader); rej != tc.want {
				t.Errorf("reject %v, want %v", rej, tc.want)
			}
			if _, err := UnmarshalVRRP(tc.b, vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader); !errors.Is(err, ErrVRRP) {
				t.Errorf("UnmarshalVRRP error %v does not wrap ErrVRRP", err)
			}
		})
	}
	// Trailing bytes (IPv4 padding) are ignored.
	if _, rej := DecodeVRRP(append(bytes.Clone(good), 0, 0), vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader); rej != 0 {
		t.Errorf("padded advert: %v", rej)
	}
}

func TestVRRPRefusesUnsendable(t *testing.T) {
	vip := []netip.Addr{vrrpVIP4}
	for name, a := range map[string]VRRPAdvert{
		"VRID 0":         {VRID: 0, Interval: 100, Addrs: vip},
		"interval 0":     {VRID: 1, Interval: 0, Addrs: vip},
		"interval 4096":  {VRID: 1, Interval: 4096, Addrs: vip},
		"no address":     {VRID: 1, Interval: 100},
		"mixed families": {VRID: 1, Interval: 100, Addrs: []netip.Addr{vrrpVIP4, vrrpVIP6}},
	} {
		if _, err := a.AppendBinary(nil, vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader); !errors.Is(err, ErrVRRP) {
			t.Errorf("%s: %v, want an ErrVRRP error", name, err)
		}
	}
	if _, err := (&VRRPAdvert{VRID: 1, Interval: 100, Addrs: vip}).AppendBinary(nil, vrrpSrc4, GroupV6, 0); !errors.Is(err, ErrVRRP) {
		t.Errorf("IPv4 source to an IPv6 group: %v", err)
	}
}

// TestVRRPTimers checks RFC 9568 §6.1's figures: at priority 100 and an
// interval of 1 s, Skew_Time is 156/256 s rounded down to 0.60 s and
// Master_Down_Interval 3.60 s; the owner (255) has almost no skew.
func TestVRRPTimers(t *testing.T) {
	for _, tc := range []struct {
		prio     uint8
		interval uint16
		skew     time.Duration
		down     time.Duration
	}{
		{100, 100, 600 * time.Millisecond, 3600 * time.Millisecond},
		{255, 100, 0, 3 * time.Second},
		{1, 100, 990 * time.Millisecond, 3990 * time.Millisecond},
		{200, 10, 20 * time.Millisecond, 320 * time.Millisecond},
	} {
		if got := VRRPSkew(tc.prio, tc.interval); got != tc.skew {
			t.Errorf("VRRPSkew(%d, %d) = %v, want %v", tc.prio, tc.interval, got, tc.skew)
		}
		if got := VRRPMasterDown(tc.prio, tc.interval); got != tc.down {
			t.Errorf("VRRPMasterDown(%d, %d) = %v, want %v", tc.prio, tc.interval, got, tc.down)
		}
	}
	// A higher priority always takes over first.
	for p := 1; p < 255; p++ {
		if VRRPMasterDown(uint8(p+1), 100) > VRRPMasterDown(uint8(p), 100) {
			t.Fatalf("priority %d waits longer than %d", p+1, p)
		}
	}
}

func TestVRRPDemotedPriority(t *testing.T) {
	for _, tc := range []struct {
		prio     uint8
		demotion int
		want     uint8
	}{
		{100, 0, 100}, {200, 50, 150}, {100, DemotionFactor, 1}, {255, 1, 254}, {100, -10, 110}, {250, -10, 255},
	} {
		if got := VRRPDemotedPriority(tc.prio, tc.demotion); got != tc.want {
			t.Errorf("VRRPDemotedPriority(%d, %d) = %d, want %d", tc.prio, tc.demotion, got, tc.want)
		}
	}
}

// TestTsharkDecodesOurVRRPAdverts has tshark, which nobody here wrote,
// decode our VRRPv3 adverts in both families with a good checksum, and see
// a broken one as bad.
func TestTsharkDecodesOurVRRPAdverts(t *testing.T) {
	var pkts []capture.Packet
	add := func(src, dst netip.Addr, vips []netip.Addr, corrupt bool) {
		a := VRRPAdvert{VRID: 5, Priority: 150, Interval: 100, Addrs: vips}
		p, err := a.AppendBinary(nil, src, dst, VRRPChecksumPseudoHeader)
		if err != nil {
			t.Fatal(err)
		}
		if corrupt {
			p[7] ^= 0xff
		}
		fr := AppendFrame(nil, Frame{SrcMAC: VirtualMAC(5), Src: src, Dst: dst, TTL: 255, Payload: p})
		pkts = append(pkts, capture.Packet{At: time.Unix(int64(len(pkts)), 0), Data: fr})
	}
	add(vrrpSrc4, GroupV4, []netip.Addr{vrrpVIP4}, false)
	add(vrrpSrc6, GroupV6, []netip.Addr{netip.MustParseAddr("fe80::14"), vrrpVIP6}, false)
	add(vrrpSrc4, GroupV4, []netip.Addr{vrrpVIP4}, true)
	lines := tsharkFields(t, pkts, "-T", "fields", "-e", "vrrp.version", "-e", "vrrp.virt_rtr_id", "-e", "vrrp.prio", "-e", "vrrp.addr_count",
		"-e", "vrrp.short_adver_int", "-e", "vrrp.checksum.status", "-E", "occurrence=f")
	// checksum status: 1 good, 0 bad
	want := []string{"3\t5\t150\t1\t100\t1", "3\t5\t150\t2\t100\t1", "3\t5\t150\t1\t100\t0"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("tshark fields (-want +got):\n%s", diff)
	}
}

// TestTsharkDecodesAsV2Checksum: the as-v2 variant is what Wireshark's
// vrrp.v3_checksum_as_in_v2 preference expects.
func TestTsharkDecodesAsV2Checksum(t *testing.T) {
	p, err := (&VRRPAdvert{VRID: 5, Priority: 150, Interval: 100, Addrs: []netip.Addr{vrrpVIP4}}).AppendBinary(nil, vrrpSrc4, GroupV4, VRRPChecksumAsV2)
	if err != nil {
		t.Fatal(err)
	}
	fr := AppendFrame(nil, Frame{SrcMAC: VirtualMAC(5), Src: vrrpSrc4, Dst: GroupV4, TTL: 255, Payload: p})
	for pref, want := range map[string]string{"TRUE": "1", "FALSE": "0"} {
		lines := tsharkFields(t, []capture.Packet{{At: time.Unix(0, 0), Data: fr}}, "-o", "vrrp.v3_checksum_as_in_v2:"+pref,
			"-T", "fields", "-e", "vrrp.checksum.status")
		if len(lines) != 1 || lines[0] != want {
			t.Errorf("tshark with v3_checksum_as_in_v2 %s: checksum status %q, want %q", pref, lines, want)
		}
	}
}
