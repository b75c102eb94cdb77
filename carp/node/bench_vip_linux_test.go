package node

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkClaimRelease measures what a takeover and a step-down cost the
// node in virtual-MAC mode: Claim (macvlan, VIPs, source table and rules)
// and Release (rules, macvlan), in a namespace of its own. The /32 case has
// no connected prefix and so no rule: the difference is what the source
// routing costs.
func BenchmarkClaimRelease(b *testing.B) {
	for _, tc := range []struct {
		name string
		vips []netip.Prefix
	}{
		{"two-vips-with-rules", []netip.Prefix{netip.MustParsePrefix("10.83.0.14/24"), netip.MustParsePrefix("10.83.0.15/24")}},
		{"two-vips-32-no-rules", []netip.Prefix{netip.MustParsePrefix("10.83.0.14/32"), netip.MustParsePrefix("10.83.0.15/32")}},
	} {
		b.Run(tc.name, func(b *testing.B) { benchClaimRelease(b, tc.vips) })
	}
}

func benchClaimRelease(b *testing.B, vips []netip.Prefix) {
	lb := newLab(b)
	r := lb.host(b, "r", "10.83.0.1/24")
	h := &NetlinkVIPs{Parent: "eth0", VHID: 1, VMAC: true, VIPs: vips}
	if err := r.NS.Do(h.Prepare); err != nil {
		b.Fatal(err)
	}
	var claim, release time.Duration
	b.ResetTimer()
	for range b.N {
		err := r.NS.Do(func() error {
			t0 := time.Now()
			if err := h.Claim(); err != nil {
				return err
			}
			t1 := time.Now()
			if err := h.Release(); err != nil {
				return err
			}
			claim += t1.Sub(t0)
			release += time.Since(t1)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(claim.Microseconds())/1000/float64(b.N), "claim_ms")
	b.ReportMetric(float64(release.Microseconds())/1000/float64(b.N), "release_ms")
}
