package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/history"
)

// twoPairHistory records three weekly drills of pair routers and two of
// pair site-b in one history directory.
func twoPairHistory(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2026, 5, 1, 5, 30, 0, 0, time.UTC)
	var reps []failover.Report
	for i, pair := range []string{"routers", "site-b", "routers", "site-b", "routers"} {
		reps = append(reps, failover.Report{Pass: true, Pair: pair, Network: "intranought", Trigger: "nic-disconnect",
			NewMaster: "router-003", TakeoverS: 3.39, BlackoutS: 3.4 + 0.1*float64(i), Started: start.AddDate(0, 0, 7*i)})
	}
	if err := history.Append(dir, reps); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDrillHistoryPair: --pair keeps one pair's runs and trends; a pair the
// history does not hold is a usage error naming the pairs it does.
func TestDrillHistoryPair(t *testing.T) {
	dir := twoPairHistory(t)
	code, out, errOut := runDrillCLI(t, nil, "drill", "history", "--history", dir, "--pair", "routers", "-o", "json")
	var doc struct {
		Runs   []failover.Report `json:"runs"`
		Trends []history.Trend   `json:"trends"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if len(doc.Runs) != 3 || len(doc.Trends) != 1 || doc.Trends[0].Pair != "routers" {
		t.Errorf("--pair routers: %d runs, trends %+v; want routers' 3 runs and one trend", len(doc.Runs), doc.Trends)
	}
	for _, r := range doc.Runs {
		if r.Pair != "routers" {
			t.Errorf("--pair routers printed a run of %q", r.Pair)
		}
	}
	code, _, errOut = runDrillCLI(t, nil, "drill", "history", "--history", dir, "--pair", "nosuch")
	if code != exitUsage || !strings.Contains(errOut, `"nosuch"`) || !strings.Contains(errOut, "routers, site-b") {
		t.Errorf("--pair nosuch: exit %d, stderr %q; want a usage error naming the recorded pairs", code, errOut)
	}
}

// TestDrillHistoryReport: --report writes the history's trend as Markdown
// with one SVG chart per pair, network and trigger (only the pair's with
// --pair); an empty history writes a report without a chart.
func TestDrillHistoryReport(t *testing.T) {
	dir := twoPairHistory(t)
	report := filepath.Join(t.TempDir(), "trend.md")
	if code, _, errOut := runDrillCLI(t, nil, "drill", "history", "--history", dir, "--report", report); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(md, []byte("<svg")); n != 2 || !bytes.Contains(md, []byte("### site-b, intranought, nic-disconnect")) {
		t.Errorf("%d charts, want one per pair:\n%s", n, md)
	}
	if code, _, errOut := runDrillCLI(t, nil, "drill", "history", "--history", dir, "--pair", "routers", "--report", report); code != exitOK {
		t.Fatalf("--pair routers: exit %d: %s", code, errOut)
	}
	if md, _ = os.ReadFile(report); bytes.Count(md, []byte("<svg")) != 1 || bytes.Contains(md, []byte("site-b")) {
		t.Errorf("--pair routers: want routers' chart only:\n%s", md)
	}
	empty := t.TempDir()
	if code, _, errOut := runDrillCLI(t, nil, "drill", "history", "--history", empty, "--report", report); code != exitOK {
		t.Fatalf("empty history: exit %d: %s", code, errOut)
	}
	if md, _ = os.ReadFile(report); bytes.Contains(md, []byte("<svg")) || !bytes.Contains(md, []byte("# carpvm drill history")) {
		t.Errorf("empty history: want a report without a chart:\n%s", md)
	}
}

// TestDrillReportHasTrend: a drill's --report ends with the trend of its
// pair's drills, this one included, and leaves the other pairs out.
func TestDrillReportHasTrend(t *testing.T) {
	dir := twoPairHistory(t)
	report := filepath.Join(t.TempDir(), "drill.md")
	var out bytes.Buffer
	app := &App{IO: IOStreams{Out: &out, ErrOut: &out}}
	this := failover.Report{Pass: true, Pair: "routers", Network: "intranought", Trigger: "nic-disconnect", VHID: 1,
		NewMaster: "router-003", TakeoverS: 3.2, BlackoutS: 3.3, Started: time.Date(2026, 6, 12, 5, 30, 0, 0, time.UTC)}
	if err := (&drillOptions{Report: report}).record(app, dir).Record([]failover.Report{this}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(md, []byte("<svg")) != 1 || bytes.Contains(md, []byte("site-b")) || !bytes.Contains(md, []byte("4/4 drill(s) passed from 2026-05-01 to 2026-06-12")) {
		t.Errorf("want one chart of routers' four drills:\n%s", md)
	}
}
