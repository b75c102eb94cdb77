package witness

import (
	"net/netip"
	"testing"

	"github.com/carpvm/carpvm/carp"
)

// TestDecodeVRRP3ChecksumVariants: the witness reads VRRPv3 adverts with
// the RFC checksum and with the VRRPv2-style one, says which,
// and refuses a broken one; timers come from carp.VRRPMasterDown.
func TestDecodeVRRP3ChecksumVariants(t *testing.T) {
	src := netip.MustParseAddr("172.27.27.12")
	vip := []netip.Addr{netip.MustParseAddr("172.27.27.14")}
	frame := func(mode carp.VRRPChecksum, corrupt bool) carp.Frame {
		p, err := (&carp.VRRPAdvert{VRID: 7, Priority: 154, Interval: 100, Addrs: vip}).AppendBinary(nil, src, carp.GroupV4, mode)
		if err != nil {
			t.Fatal(err)
		}
		if corrupt {
			p[6] ^= 0x10
		}
		return carp.Frame{Src: src, Dst: carp.GroupV4, TTL: 255, Payload: p}
	}
	for _, tc := range []struct {
		name   string
		f      carp.Frame
		asV2   bool
		broken bool
	}{
		{"RFC checksum", frame(carp.VRRPChecksumPseudoHeader, false), false, false},
		{"as v2", frame(carp.VRRPChecksumAsV2, false), true, false},
		{"broken", frame(carp.VRRPChecksumPseudoHeader, true), false, true},
	} {
		a, err := decode(tc.f)
		if tc.broken {
			if err == nil {
				t.Errorf("%s: decoded", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if a.proto != VRRP3 || a.id != 7 || a.priority != 154 || a.checksumAsV2 != tc.asV2 || a.down != carp.VRRPMasterDown(154, 100) {
			t.Errorf("%s: %+v", tc.name, a)
		}
	}
}
