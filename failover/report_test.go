package failover

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/internal/table"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func sampleReports() []Report {
	split := 2.789
	return []Report{
		{
			Pass: true, Network: "intranought", VHID: 1, Trigger: "nic-disconnect", OldMaster: "router-002", NewMaster: "router-003",
			TakeoverS: 3.391, BlackoutS: 3.4, VIPMACAfter: "00:00:5e:00:01:01", MACRelearned: true, Restored: true,
			Phases: []Phase{
				{PhaseGate, true, "lab healthy"},
				{PhaseBaseline, true, "master router-002 (172.27.27.11), VIP 172.27.27.14 answers from 00:00:5e:00:01:01"},
				{PhaseTrigger, true, "set r2-intra0 down"},
				{PhaseMeasure, true, "new master router-003 after 3.391 s"},
				{"relearn", true, "bridge IntraNought forwards 00:00:5e:00:01:01 to r3-intra0 (router-003)"},
				{PhaseRestore, true, "router-002 is master"},
				{PhaseReport, true, "all phases passed and objectives met"},
			},
			Target: "lab cvl-", Pair: "lab-cvl", Started: t0, DurationS: 9.4, MasterDownS: 3.391, MaxTakeoverS: 4.391, MaxBlackoutS: 4.391,
			TriggerToMasterS: 3.387, GARPs: 2,
		},
		{
			Pass: false, Network: "public", VHID: 2, Trigger: "partition", OldMaster: "router-002", NewMaster: "router-003",
			TakeoverS: 4.764, BlackoutS: 0.782, VIPMACAfter: "00:00:5e:00:01:02", MACRelearned: true, Restored: true,
			Phases: []Phase{
				{PhaseGate, true, "lab healthy"},
				{PhaseMeasure, true, "split | brain"},
				{PhaseReport, false, "failed: takeover 4.764 s > 4.391 s"},
			},
			Target: "lab cvl-", Pair: "lab-cvl", Started: t0, MasterDownS: 3.391, MaxTakeoverS: 4.391, MaxBlackoutS: 4.391,
			TriggerToMasterS: 4.764, GARPs: 2, SplitBrainS: &split,
		},
	}
}

func TestReportJSON(t *testing.T) {
	reps := sampleReports()
	var one, list bytes.Buffer
	if err := WriteJSON(&one, reps[:1], false); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-one.json", one.Bytes())
	if err := WriteJSON(&list, reps, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-list.json", list.Bytes())
	// The contract's keys are all there.
	var m map[string]any
	if err := json.Unmarshal(one.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pass", "network", "vhid", "trigger", "old_master", "new_master", "takeover_s", "blackout_s", "vip_mac_after", "mac_relearned", "restored", "phases"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	var back []Report
	if err := json.Unmarshal(list.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(reps, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestReportTableAndMarkdown(t *testing.T) {
	var tbl, md bytes.Buffer
	if err := WriteTable(&tbl, table.Terminal{}, sampleReports()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.table", tbl.Bytes())
	if err := WriteMarkdown(&md, sampleReports()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", md.Bytes())
	var tty bytes.Buffer
	if err := WriteTable(&tty, table.Terminal{TTY: true}, sampleReports()); err != nil || !bytes.Contains(tty.Bytes(), []byte("router-002 -> router-003")) {
		t.Errorf("terminal table: %v\n%s", err, tty.String())
	}
}

// A blackout during which the witness could not send some probe rounds
// says so in every form of the report.
func TestReportSaysProbesUnsent(t *testing.T) {
	reps := sampleReports()[:1]
	reps[0].ProbesUnsent = 12
	var tbl, md, js bytes.Buffer
	if err := WriteTable(&tbl, table.Terminal{}, reps); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, reps); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, reps, false); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"table": tbl.String(), "markdown": md.String()} {
		if !strings.Contains(out, "3.400s (12 probes unsent)") && !strings.Contains(out, "3.400 s (12 probe rounds unsent") {
			t.Errorf("%s does not say the blackout had unsent probes:\n%s", name, out)
		}
	}
	if !strings.Contains(js.String(), `"probes_unsent": 12`) {
		t.Errorf("JSON lacks probes_unsent:\n%s", js.String())
	}
	// None unsent: nothing added.
	tbl.Reset()
	if err := WriteTable(&tbl, table.Terminal{}, sampleReports()); err != nil || strings.Contains(tbl.String(), "unsent") {
		t.Errorf("a report with every probe sent mentions unsent probes: %v\n%s", err, tbl.String())
	}
}
