package failover

import (
	"net/netip"
	"testing"

	"github.com/carpvm/carpvm/carp"
)

func vrrpFrame(t testing.TB, src netip.Addr, prio uint8, interval uint16, mode carp.VRRPChecksum) []byte {
	t.Helper()
	a := carp.VRRPAdvert{VRID: 1, Priority: prio, Interval: interval, Addrs: []netip.Addr{vip}}
	p, err := a.AppendBinary(nil, src, carp.GroupV4, mode)
	if err != nil {
		t.Fatal(err)
	}
	return carp.AppendFrame(nil, carp.Frame{SrcMAC: vmac, Src: src, Dst: carp.GroupV4, TTL: 255, Payload: p})
}

// TestDecodeVRRP: the witness takes a VRRPv3 master's advert (keepalived's,
// a carpvm node's with carpver 3) as an advert of its VRID, its interval as
// advbase + advskew/256 s; a priority-0 advert (the master stepping down)
// and a corrupt one are no master's.
func TestDecodeVRRP(t *testing.T) {
	d := Decoder{VIP: vip}
	for _, tc := range []struct {
		name     string
		frame    []byte
		ok       bool
		interval uint16
	}{
		{"RFC checksum, 1 s", vrrpFrame(t, r3, 154, 100, carp.VRRPChecksumPseudoHeader), true, 100},
		{"checksum as in v2, 1.5 s", vrrpFrame(t, r3, 154, 150, carp.VRRPChecksumAsV2), true, 150},
		{"priority 0", vrrpFrame(t, r3, 0, 100, carp.VRRPChecksumPseudoHeader), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := d.Decode(t0, tc.frame)
			if ok != tc.ok {
				t.Fatalf("Decode ok = %t, want %t (%+v)", ok, tc.ok, ev)
			}
			if !ok {
				return
			}
			if ev.Kind != KindAdvert || ev.VHID != 1 || ev.Src != r3 || ev.MAC.String() != vmac.String() {
				t.Errorf("Decode = %+v, want an advert of vhid 1 from %v", ev, r3)
			}
			if got, want := carp.Interval(ev.AdvBase, int(ev.AdvSkew)), (carp.VRRPAdvert{Interval: tc.interval}).IntervalDuration(); got != want {
				t.Errorf("interval %v (advbase %d advskew %d), want %v", got, ev.AdvBase, ev.AdvSkew, want)
			}
		})
	}
	bad := vrrpFrame(t, r3, 154, 100, carp.VRRPChecksumPseudoHeader)
	bad[len(bad)-1] ^= 0xff
	if ev, ok := d.Decode(t0, bad); ok {
		t.Errorf("a corrupt VRRPv3 advert decoded as %+v", ev)
	}
}
