package lab

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/history"
)

// BenchmarkDrill runs K drills (CARPVM_BENCH_DRILLS, default 2) per trigger
// and per b.N in a lab with carpvm on both routers, then with ucarp on
// router-003, both at advbase 1, then carpvm at advbase 0 (OpenBSD's
// sub-second mode), and reports takeover and blackout (median, worst) next
// to the theoretical master-down (carp.MasterDown: 3*advbase + advskew/256,
// 3*advskew/256 at advbase 0). About 5 minutes with the defaults (make bench
// runs -benchtime=1x).
func BenchmarkDrill(b *testing.B) {
	k := benchDrills()
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
						o := failover.Options{Env: env, Trigger: trig, Networks: nets, MaxTakeover: time.Minute, MaxBlackout: time.Minute, Stun: failover.DefaultStun}
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
					b.ReportMetric(history.Median(take), "takeover-median-s")
					b.ReportMetric(maxOf(take), "takeover-worst-s")
					b.ReportMetric(history.Median(black), "blackout-median-s")
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

// BenchmarkWholeRouterHandover cuts router-002's public port in an
// active/active lab (link-down drills, K per b.N as BenchmarkDrill) and
// reports each group's hand-over from the cut to router-003's first
// advert, next to the theoretical master-down 3*advbase + advskew/256: the
// public group (its link is gone) waits for router-003's master-down; the
// internal group moves when router-002's node, seeing the link go down,
// demotes itself by 240 and bows out, so it should move at once.
func BenchmarkWholeRouterHandover(b *testing.B) {
	k := benchDrills()
	for _, advbase := range []int{1, 0} {
		b.Run("advbase="+strconv.Itoa(advbase), func(b *testing.B) {
			opts := testOptions(b, PeerCarpvm)
			opts.AdvBase, opts.ActiveActive = AdvBase(advbase), true
			l := upLab(b, opts)
			env := &Env{Lab: l}
			all, err := l.Networks("")
			if err != nil {
				b.Fatal(err)
			}
			nets, _ := l.Networks("public")
			per := map[string][]float64{}
			fails := 0
			for n := 0; n < b.N*k; n++ {
				reps, err := failover.Run(context.Background(), failover.Options{Env: env, Trigger: failover.TriggerLinkDown,
					Networks: nets, Map: all, MaxTakeover: time.Minute, MaxBlackout: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				if !reps[0].Pass {
					fails++
					b.Logf("drill %d failed: %+v", n, reps[0].Phases)
					continue
				}
				for _, o := range reps[0].Ownership {
					if o.Before != o.After {
						key := o.Network + "-vhid" + strconv.Itoa(o.VHID)
						per[key] = append(per[key], o.TakeoverS)
					}
				}
			}
			for key, v := range per {
				b.ReportMetric(history.Median(v), key+"-median-s")
				b.ReportMetric(maxOf(v), key+"-worst-s")
			}
			b.ReportMetric(nets[0].MasterDown().Seconds(), "theoretical-s")
			b.ReportMetric(float64(fails), "failed-drills")
		})
	}
}

// benchDrills is how many drills a benchmark runs per case and per b.N:
// CARPVM_BENCH_DRILLS, default 2.
func benchDrills() int {
	if n, err := strconv.Atoi(os.Getenv("CARPVM_BENCH_DRILLS")); err == nil && n > 0 {
		return n
	}
	return 2
}
