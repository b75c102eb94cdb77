package workflow

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/history"
)

// DrillRecord says where a drill's results go besides its output: the
// Markdown report, the history, the Prometheus textfile metrics.
type DrillRecord struct {
	// Report is the Markdown report's file ("" for none).
	Report string
	// History is the history directory; "" (a --sim drill, which measured
	// nothing) or NoHistory records nothing there.
	History   string
	NoHistory bool
	// MetricsFile is the textfile the metrics are written to ("" for none),
	// from the history and this drill.
	MetricsFile string
	// Notice gets what reading the history passed over.
	Notice Progress
}

// PrepareOutput creates the directory of an output file when missing
// (0755: node_exporter reads the metrics) and checks that it takes a new
// file, so that a passed drill does not fail on it afterwards.
func PrepareOutput(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create its directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".carpvm-drill-probe-*")
	if err != nil {
		return fmt.Errorf("its directory does not take a new file: %w", err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// Record writes the report file (ending with the trend of the drilled
// pairs, this drill included), appends the reports to the history and
// writes the metrics: for one pair's reports or a fleet's.
func (r DrillRecord) Record(reps []failover.Report) error {
	record := r.History != "" && !r.NoHistory
	if r.Report != "" {
		var b strings.Builder
		if err := failover.WriteMarkdown(&b, reps); err != nil {
			return err
		}
		trend := reps
		if record {
			hist, err := history.Read(r.History)
			if err != nil {
				return err
			}
			trend = nil
			for _, pair := range history.Pairs(reps) {
				trend = append(trend, history.PairRuns(hist.Runs, pair)...)
			}
			trend = append(trend, reps...)
		}
		if err := history.WriteMarkdownTrends(&b, trend); err != nil {
			return err
		}
		if err := os.WriteFile(r.Report, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("drill: write report: %w", err)
		}
	}
	if record {
		if err := history.Append(r.History, reps); err != nil {
			return err
		}
	}
	if r.MetricsFile != "" {
		hist, err := history.Read(r.History)
		if err != nil {
			return err
		}
		if note := hist.SkippedNote(r.History); note != "" && r.Notice != nil {
			r.Notice("drill: %s", note)
		}
		if r.NoHistory {
			hist.Runs = append(hist.Runs, reps...)
		}
		if err := history.WriteMetrics(r.MetricsFile, hist.Runs); err != nil {
			return err
		}
	}
	return nil
}
