package history

import (
	"bytes"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/atomicfile"
)

// TextfileDir is where node_exporter's textfile collector is commonly
// pointed (--collector.textfile.directory), and MetricsFile the drill's
// file there: the example --metrics-file of the docs and the shipped
// CronJob.
const (
	TextfileDir = "/var/lib/node_exporter/textfile_collector"
	MetricsFile = TextfileDir + "/carpvm_drill.prom"
)

// WriteMetrics writes Prometheus textfile metrics (for node_exporter's
// textfile collector) describing the last run of every pair, network and
// trigger in history, atomically (internal/atomicfile: a synced temporary
// file, named so that the collector skips it, renamed over path), 0644.
func WriteMetrics(path string, history []failover.Report) error {
	labels := []string{"pair", "network", "trigger"}
	lastRun := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "carpvm_drill_last_run_timestamp_seconds", Help: "Start of the last failover drill, in seconds since the epoch.",
	}, labels)
	success := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "carpvm_drill_success", Help: "1 when the last failover drill passed, 0 when it failed.",
	}, labels)
	takeover := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "carpvm_drill_takeover_seconds", Help: "Last drill: last advert of the old master to first advert of the new one.",
	}, labels)
	blackout := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "carpvm_drill_blackout_seconds", Help: "Last drill: client blackout, last good reply to first good reply from the VIP.",
	}, labels)
	runs := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "carpvm_drill_runs", Help: "Failover drills recorded in the history.",
	}, labels)
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{lastRun, success, takeover, blackout, runs} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("history: metrics: %w", err)
		}
	}
	for _, t := range Trends(history) {
		var last failover.Report
		for _, r := range history {
			if r.Pair == t.Pair && r.Network == t.Network && r.Trigger == t.Trigger {
				last = r
			}
		}
		l := prometheus.Labels{"pair": t.Pair, "network": t.Network, "trigger": t.Trigger}
		lastRun.With(l).Set(float64(last.Started.UnixNano()) / 1e9)
		ok := 0.0
		if last.Pass {
			ok = 1
		}
		success.With(l).Set(ok)
		// A figure not measured (no witness) is left out, not written as 0.
		if last.Measured("takeover_s") {
			takeover.With(l).Set(last.TakeoverS)
		}
		if last.Measured("blackout_s") {
			blackout.With(l).Set(last.BlackoutS)
		}
		runs.With(l).Set(float64(t.Runs))
	}
	mfs, err := reg.Gather()
	if err != nil {
		return fmt.Errorf("history: metrics: %w", err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			return fmt.Errorf("history: metrics: %w", err)
		}
	}
	if err := atomicfile.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("history: write metrics: %w", err)
	}
	return nil
}
