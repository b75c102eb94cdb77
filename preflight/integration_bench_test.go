package preflight_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// BenchmarkPreflightSimulated measures what `carpvm preflight` does after
// logging in: gather the facts and run the checks, against simulated
// inventories of about 10, 500 and 5,000 VMs. It reports the SOAP round
// trips per run (which must not grow with the inventory) and the findings.
// Building the inventory and logging in are not timed.
func BenchmarkPreflightSimulated(b *testing.B) {
	for _, vms := range []int{10, 500, 5000} {
		b.Run(fmt.Sprintf("vms=%d", vms), func(b *testing.B) {
			ctx := context.Background()
			srv, err := sim.Start(ctx, sim.Scaled(vms), "")
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			cfg := config.Simulator()
			cfg.VSphere = srv.VSphereConfig()
			s, err := vsphere.Open(ctx, cfg.VSphere)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close(ctx)
			var trips, findings int
			for b.Loop() {
				before := s.RoundTrips()
				f, err := s.Gather(ctx, cfg)
				if err != nil {
					b.Fatal(err)
				}
				findings = len(preflight.Run(cfg, f).Findings)
				trips = s.RoundTrips() - before
			}
			b.ReportMetric(float64(trips), "roundtrips/op")
			b.ReportMetric(float64(findings), "findings/op")
		})
	}
}
