package workflow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// BenchmarkCheckFleet checks a fleet of 8 pairs on 4 simulated vCenters,
// 2 pairs each, every SOAP call answered 20 ms late (a vCenter across a
// WAN), one session at a time and DefaultMaxSessions at once: what the
// bound on concurrent sessions buys a fleet's preflight.
func BenchmarkCheckFleet(b *testing.B) {
	ctx := context.Background()
	pairs := simFleet(b, 4, 2, 20*time.Millisecond, "vc%d-pair%d")
	for _, sessions := range []int{1, DefaultMaxSessions} {
		b.Run(fmt.Sprintf("sessions=%d", sessions), func(b *testing.B) {
			for b.Loop() {
				for _, r := range CheckFleet(ctx, pairs, FleetOptions{MaxSessions: sessions}) {
					if r.Err != nil {
						b.Fatalf("%s: %v", r.Pair, r.Err)
					}
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/fleet")
			b.ReportMetric(float64(len(pairs)), "pairs")
		})
	}
}

// BenchmarkCheckFleetHundred checks issue 21's fleet: 100 pairs on 10
// simulated vCenters, 10 pairs each, every SOAP call answered 20 ms late,
// DefaultMaxSessions sessions at once (the goal: 30 s).
func BenchmarkCheckFleetHundred(b *testing.B) {
	ctx := context.Background()
	pairs := simFleet(b, 10, 10, 20*time.Millisecond, "vc%02d-pair%02d")
	for b.Loop() {
		for _, r := range CheckFleet(ctx, pairs, FleetOptions{}) {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.Pair, r.Err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/fleet")
	b.ReportMetric(float64(len(pairs)), "pairs")
}

// simFleet starts vcenters simulated vCenters of the default topology,
// each answering every SOAP call latency late, with pairsEach pairs on
// each, named by nameFormat from the vCenter's and the pair's index.
func simFleet(b *testing.B, vcenters, pairsEach int, latency time.Duration, nameFormat string) []*config.Config {
	b.Helper()
	var pairs []*config.Config
	for v := range vcenters {
		srv, err := sim.Start(context.Background(), sim.Topologies()["default"](), "")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Close)
		srv.SetLatency(latency)
		for p := range pairsEach {
			c := simPair(fmt.Sprintf(nameFormat, v, p))
			c.VSphere = srv.VSphereConfig()
			pairs = append(pairs, c)
		}
	}
	return pairs
}
