package lab

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
)

// BenchmarkDrill runs K drills (CARPVM_BENCH_DRILLS, default 2) per trigger
// and per b.N in a lab with carpvm on both routers, then with ucarp on
// router-003, both at advbase 1, then carpvm at advbase 0 (OpenBSD's
// sub-second mode), and reports takeover and blackout (median, worst) next
// to the theoretical master-down (carp.MasterDown: 3*advbase + advskew/256,
// 3*advskew/256 at advbase 0). About 5 minutes with the defaults (make bench
// runs -benchtime=1x).
func BenchmarkDrill(b *testing.B) {
	k := 2
	if s := os.Getenv("CARPVM_BENCH_DRILLS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			k = n
		}
	}
	for _, c := range []struct {
		name    string
		peer    string
		advbase int
	}{
		{"peer=carpvm", PeerCarpvm, 1},
		{"peer=ucarp", PeerUcarp, 1},
		{"peer=carpvm,advbase=0", PeerCarpvm, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			opts := testOptions(b, c.peer)
			opts.AdvBase = AdvBase(c.advbase)
			l := upLab(b, opts)
			env := &Env{Lab: l}
			for i, trig := range failover.Triggers() {
				net := Nets[i%len(Nets)].Name
				b.Run("trigger="+string(trig), func(b *testing.B) {
					nets, err := l.Networks(net)
					if err != nil {
						b.Fatal(err)
					}
					var take, black []float64
					fails := 0
					for n := 0; n < b.N*k; n++ {
						o := failover.Options{Env: env, Trigger: trig, Networks: nets, MaxTakeover: time.Minute, MaxBlackout: time.Minute}
						reps, err := failover.Run(context.Background(), o)
						if err != nil {
							b.Fatal(err)
						}
						r := reps[0]
						if !r.Pass {
							fails++
							b.Logf("drill %d failed: %+v", n, r.Phases)
							continue
						}
						take = append(take, r.TakeoverS)
						black = append(black, r.BlackoutS)
					}
					b.ReportMetric(failover.Median(take), "takeover-median-s")
					b.ReportMetric(maxOf(take), "takeover-worst-s")
					b.ReportMetric(failover.Median(black), "blackout-median-s")
					b.ReportMetric(maxOf(black), "blackout-worst-s")
					b.ReportMetric(nets[0].MasterDown().Seconds(), "theoretical-s")
					b.ReportMetric(float64(fails), "failed-drills")
				})
			}
		})
	}
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
