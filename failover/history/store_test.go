package history

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/carpvm/carpvm/failover"
)

// t0 is the first drill's start in these tests.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestHistoryAppendReadTrend(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "drills")
	if h, err := Read(dir); err != nil || h.Runs != nil || h.Skipped != 0 {
		t.Fatalf("empty history: %+v, %v", h, err)
	}
	var all []failover.Report
	for i, b := range []float64{3.4, 3.3, 3.5, 5.0} {
		r := failover.Report{Pass: b < 4.391, Network: "intranought", VHID: 1, Trigger: "power-off", NewMaster: "router-003",
			TakeoverS: 3.39, BlackoutS: b, Pair: "lab-cvl", Started: t0.Add(time.Duration(i) * time.Hour)}
		all = append(all, r)
		if err := Append(dir, []failover.Report{r}); err != nil {
			t.Fatal(err)
		}
	}
	failed := failover.Report{Network: "intranought", Trigger: "demote", Pair: "lab-cvl", Started: t0}
	all = append(all, failed)
	if err := Append(dir, []failover.Report{failed}); err != nil {
		t.Fatal(err)
	}
	h, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := h.Runs
	// A report's JSON has [] for an empty list (jsondoc), read back as empty.
	if diff := cmp.Diff(all, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(filepath.Join(dir, File)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode: %v, %v", fi.Mode(), err)
	}
	want := []Trend{
		{Pair: "lab-cvl", Network: "intranought", Trigger: "power-off", Runs: 4, Passed: 3, Last: t0.Add(3 * time.Hour), LastPass: false,
			TakeoverMedianS: 3.39, TakeoverWorstS: 3.39, BlackoutMedianS: 3.45, BlackoutWorstS: 5.0, Direction: "worse"},
		{Pair: "lab-cvl", Network: "intranought", Trigger: "demote", Runs: 1, Last: t0},
	}
	if diff := cmp.Diff(want, Trends(got)); diff != "" {
		t.Errorf("Trends (-want +got):\n%s", diff)
	}
}

// TestHistorySkipsBadLines: a torn line (a writer killed mid-append), a
// line too long to be a report (10 MiB) and a line that is not JSON are
// skipped and counted; the reports around them are read.
func TestHistorySkipsBadLines(t *testing.T) {
	dir := t.TempDir()
	good := func(net string) string {
		b, err := json.Marshal(failover.Report{Pass: true, Pair: "routers", Network: net, Trigger: "demote", Started: t0})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	torn := good("torn")[:40]
	huge := `{"network":"` + strings.Repeat("x", 10<<20) + `"}`
	body := good("a") + "\n" + torn + "\n" + good("b") + "\n" + huge + "\n" + good("c") + "\nnot json\n"
	if err := os.WriteFile(filepath.Join(dir, File), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := Read(dir)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var nets []string
	for _, r := range h.Runs {
		nets = append(nets, r.Network)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, nets); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if h.Skipped != 3 || !slices.Equal(h.SkippedLines, []int{2, 4, 6}) {
		t.Errorf("skipped %d, lines %v; want 3, lines [2 4 6]", h.Skipped, h.SkippedLines)
	}
}

// TestHistoryAppendAfterTornLine: an append after a torn last line (no
// final newline) starts on a line of its own, so only the torn line is lost.
func TestHistoryAppendAfterTornLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, File), []byte(`{"pass":true,"network":"a"}`+"\n"+`{"pass":true,"netw`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Append(dir, []failover.Report{{Pass: true, Network: "b", Started: t0}}); err != nil {
		t.Fatal(err)
	}
	h, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Runs) != 2 || h.Runs[1].Network != "b" || h.Skipped != 1 || !slices.Equal(h.SkippedLines, []int{2}) {
		t.Errorf("after appending to a torn history: runs %+v, skipped %d %v; want a and b, line 2 skipped", h.Runs, h.Skipped, h.SkippedLines)
	}
}

func TestMedianDirection(t *testing.T) {
	if m := Median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("Median odd = %v", m)
	}
	if m := Median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("Median even = %v", m)
	}
	for _, tc := range []struct {
		before, last float64
		want         string
	}{{1, 1.1, "steady"}, {1, 1.3, "worse"}, {1, 0.7, "better"}} {
		if got := direction(tc.before, tc.last); got != tc.want {
			t.Errorf("direction(%v, %v) = %s, want %s", tc.before, tc.last, got, tc.want)
		}
	}
}

func TestMetricsTextfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carpvm_drill.prom")
	hist := []failover.Report{
		{Pass: true, Pair: "routers", Network: "intranought", Trigger: "power-off", TakeoverS: 3.39, BlackoutS: 3.4, Started: t0},
		{Pass: false, Pair: "routers", Network: "intranought", Trigger: "power-off", TakeoverS: 3.5, BlackoutS: 6.25, Started: t0.Add(time.Hour)},
		{Pass: true, Pair: "routers", Network: "public", Trigger: "demote", TakeoverS: 0.01, BlackoutS: 0.02, Started: t0},
	}
	if err := WriteMetrics(path, hist); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		`carpvm_drill_success{network="intranought",pair="routers",trigger="power-off"} 0`,
		`carpvm_drill_blackout_seconds{network="intranought",pair="routers",trigger="power-off"} 6.25`,
		`carpvm_drill_takeover_seconds{network="public",pair="routers",trigger="demote"} 0.01`,
		`carpvm_drill_runs{network="intranought",pair="routers",trigger="power-off"} 2`,
		`carpvm_drill_last_run_timestamp_seconds{network="intranought",pair="routers",trigger="power-off"} 1.7776404e+09`,
		"# TYPE carpvm_drill_success gauge",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %q:\n%s", want, got)
		}
	}
	// Written atomically: no temporary file left beside it.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the metrics file", len(entries))
	}
	if err := WriteMetrics(filepath.Join(t.TempDir(), "no", "such", "dir", "x.prom"), hist); err == nil {
		t.Error("WriteMetrics into a missing directory succeeded")
	}
}

// BenchmarkReadHistoryHugeLine: a year of weekly drills on two networks
// behind one 10 MiB line, which is skipped without being held whole.
func BenchmarkReadHistoryHugeLine(b *testing.B) {
	dir := b.TempDir()
	var reps []failover.Report
	for i := range 104 {
		reps = append(reps, failover.Report{Pass: true, Pair: "routers", Network: "intranought", Trigger: "demote", Started: t0.Add(time.Duration(i) * time.Hour)})
	}
	huge := `{"network":"` + strings.Repeat("x", 10<<20) + "\"}\n"
	if err := os.WriteFile(filepath.Join(dir, File), []byte(huge), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := Append(dir, reps); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h, err := Read(dir)
		if err != nil || len(h.Runs) != len(reps) || h.Skipped != 1 {
			b.Fatalf("runs %d, skipped %d, %v", len(h.Runs), h.Skipped, err)
		}
	}
}
