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
	const vcenters, pairsEach, latency = 4, 2, 20 * time.Millisecond
	ctx := context.Background()
	var pairs []*config.Config
	for v := range vcenters {
		srv, err := sim.Start(ctx, sim.Topologies()["default"](), "")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Close)
		srv.SetLatency(latency)
		for p := range pairsEach {
			c := simPair(fmt.Sprintf("vc%d-pair%d", v, p))
			c.VSphere = srv.VSphereConfig()
			pairs = append(pairs, c)
		}
	}
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
	const vcenters, pairsEach, latency = 10, 10, 20 * time.Millisecond
	ctx := context.Background()
	var pairs []*config.Config
	for v := range vcenters {
		srv, err := sim.Start(ctx, sim.Topologies()["default"](), "")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Close)
		srv.SetLatency(latency)
		for p := range pairsEach {
			c := simPair(fmt.Sprintf("vc%02d-pair%02d", v, p))
			c.VSphere = srv.VSphereConfig()
			pairs = append(pairs, c)
		}
	}
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
