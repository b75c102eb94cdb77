package witness

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// FuzzObserve: any protocol-112 payload is observed without a panic, and
// the snapshot stays encodable, with every frame counted once (as an
// advert, a duplicate, malformed or unknown), and every transition line
// valid, in time order.
func FuzzObserve(f *testing.F) {
	k, _ := carp.NewKey([]byte("pass"))
	f.Add(carpFrame(&k, 1, nodeA, 1, 0, 1).Payload, uint8(11), false)
	f.Add(carpFrame(&k, 1, nodeA, 1, 0, 1).Payload, uint8(11), true)
	f.Add(vrrp2(1, 100, 1, vip), uint8(12), false)
	f.Add(vrrp3(nodeA, 2, 100, 100, vip), uint8(11), false)
	f.Add(vrrp3v6(netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: 11}), 2, 100, 100, vip6), uint8(11), true)
	f.Add([]byte{0x21, 1, 100, 200, 0, 1, 0, 0}, uint8(13), true)
	f.Fuzz(func(t *testing.T, payload []byte, src uint8, v6 bool) {
		w := New(Options{Key: &k, VIPs: map[uint8][]netip.Addr{1: {vip, vip6}}, Network: "fuzz"})
		from, dst := netip.AddrFrom4([4]byte{172, 27, 27, src}), carp.GroupV4
		if v6 {
			from, dst = netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: src}), carp.GroupV6
		}
		for i := range 3 {
			w.Observe(t0.Add(time.Duration(i)*time.Second), carp.Frame{Src: from, Dst: dst, TTL: 255, Payload: payload})
		}
		s := w.Snapshot(t0.Add(3 * time.Second))
		if _, err := json.Marshal(s); err != nil {
			t.Fatal(err)
		}
		var n, dup uint64
		for _, g := range s.Groups {
			for _, a := range g.Advertisers {
				n += a.Adverts
				dup += a.Duplicates
			}
		}
		if n+dup+s.Malformed+s.Unknown != 3 {
			t.Fatalf("3 frames, %d adverts + %d duplicates + %d malformed + %d unknown", n, dup, s.Malformed, s.Unknown)
		}
		ts := w.Transitions(t0.Add(time.Hour))
		for i, l := range ts {
			if err := l.Validate(); err != nil || (i > 0 && l.Time.Before(ts[i-1].Time)) {
				t.Fatalf("line %d %+v: %v (or before the previous one)", i, l, err)
			}
		}
	})
}
