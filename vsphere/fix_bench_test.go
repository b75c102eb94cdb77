package vsphere_test

import (
	"testing"

	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// BenchmarkFixPlanApply measures what `preflight --fix --yes` does before
// its re-check, on a cluster of 32 hosts where promiscuous mode fails on
// both networks of every host and no anti-affinity rule exists (64
// portgroup updates and a DRS rule): gather, check, plan, back up, apply.
// It reports the SOAP round trips of the whole (rt/op) and of the backup
// and apply alone (apply-rt/op), and the plan's size (changes/op).
func BenchmarkFixPlanApply(b *testing.B) {
	var rt, applyRT, changes float64
	for b.Loop() {
		b.StopTimer()
		w := newFixWorld(b, sim.Cluster(32, false))
		start := w.s.RoundTrips()
		b.StartTimer()

		f, err := w.s.Gather(w.ctx, w.cfg)
		if err != nil {
			b.Fatal(err)
		}
		p, err := fix.NewPlan(w.cfg, f, preflight.Run(w.cfg, f).Findings, fix.Options{})
		if err != nil {
			b.Fatal(err)
		}
		mid := w.s.RoundTrips()
		bk, err := w.s.Backup(w.ctx, p.Changes)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.s.Apply(w.ctx, bk); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		rt += float64(w.s.RoundTrips() - start)
		applyRT += float64(w.s.RoundTrips() - mid)
		changes += float64(len(p.Changes))
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(rt/n, "rt/op")
	b.ReportMetric(applyRT/n, "apply-rt/op")
	b.ReportMetric(changes/n, "changes/op")
}
