package lab

import (
	"context"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/history"
)

// BenchmarkStunDrill runs K stun drills (CARPVM_BENCH_DRILLS, default 2)
// per b.N, router-002 frozen for failover.DefaultStun at advbase 1: with
// the virtual MAC; without it (no_vmac: the VIP on each router's own MAC);
// and without it and without the node's re-announce, where the clients
// stay on the MAC of the router that stepped down (those drills fail; the
// blackout is cut at the drill's deadline). It reports the split brain
// after the return and the clients' blackout after it (median, worst).
// About 4 minutes with the defaults.
func BenchmarkStunDrill(b *testing.B) {
	k := benchDrills()
	for _, c := range []struct {
		name string
		node NodeSettings
	}{
		{"vmac", NodeSettings{}},
		{"no-vmac", NodeSettings{NoVMAC: true}},
		{"no-vmac,no-reannounce", NodeSettings{NoVMAC: true, NoFreezeReannounce: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			opts := testOptions(b, PeerCarpvm)
			opts.Node = c.node
			l := upLab(b, opts)
			env := &Env{Lab: l}
			nets, err := l.Networks("intranought")
			if err != nil {
				b.Fatal(err)
			}
			var split, ret, take []float64
			fails := 0
			for n := 0; n < b.N*k; n++ {
				settle(b, l)
				reps, err := failover.Run(context.Background(), failover.Options{Env: env, Trigger: failover.TriggerStun,
					Stun: failover.DefaultStun, Networks: nets, MaxTakeover: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				r := reps[0]
				if !r.Pass {
					fails++
				}
				if r.SplitBrainS == nil || r.ReturnBlackoutS == nil {
					b.Logf("drill %d measured no return: %+v", n, r.Phases)
					continue
				}
				split = append(split, *r.SplitBrainS)
				ret = append(ret, *r.ReturnBlackoutS)
				take = append(take, r.TakeoverS)
				if !r.Pass {
					// The lab is left broken by a failed return: rebuild it.
					if err := Down(context.Background(), opts, nil); err != nil {
						b.Fatal(err)
					}
					l = upLab(b, opts)
					env.Lab = l
				}
			}
			b.ReportMetric(history.Median(split), "split-brain-median-s")
			b.ReportMetric(maxOf(split), "split-brain-worst-s")
			b.ReportMetric(history.Median(ret), "return-blackout-median-s")
			b.ReportMetric(maxOf(ret), "return-blackout-worst-s")
			b.ReportMetric(history.Median(take), "takeover-median-s")
			b.ReportMetric(float64(fails), "failed-drills")
		})
	}
}
