package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/history"
)

func runDrillCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

const drillYAML = `vsphere:
  url: https://127.0.0.1:1/sdk
  username: carpvm@vsphere.local
pair:
  name: routers
  routers: [router-002, router-003]
networks:
  - name: intranought
    portgroup: IntraNought
    interface: vmx0
    vhid: 1
    vips: [172.27.27.14/28]
    addresses: {router-002: 172.27.27.11/28, router-003: 172.27.27.12/28}
  - name: public
    portgroup: Public
    vhid: 2
    vips: [203.0.113.10/32]
    vmac: "02:00:00:aa:bb:cc"
    addresses: {router-002: 203.0.113.2/24, router-003: 203.0.113.3/24}
`

func writeDrillConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "carpvm.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDrillUsageErrors(t *testing.T) {
	cfg := writeDrillConfig(t, drillYAML)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"drill"}, "want --lab, or --config"},
		{"bad trigger", []string{"drill", "--lab", "--trigger", "reboot"}, "want one of nic-disconnect, link-down, power-off, demote, partition"},
		{"bad output", []string{"drill", "--lab", "-o", "yaml"}, "want table or json"},
		{"lab and config", []string{"drill", "--lab", "--config", cfg}, "exclusive"},
		{"partition on vSphere", []string{"drill", "--config", cfg, "--trigger", "partition"}, "lab trigger"},
		{"demote without command", []string{"drill", "--config", cfg, "--trigger", "demote"}, "needs --command"},
		{"no witness interface", []string{"drill", "--config", cfg}, "--interface"},
		{"unknown network", []string{"drill", "--config", cfg, "--network", "dmz", "--dry-run"}, "dmz"},
		{"negative objective", []string{"drill", "--lab", "--max-takeover", "-1s"}, "positive"},
		{"stun of no time", []string{"drill", "--lab", "--trigger", "stun", "--duration", "0s"}, "--duration: stun duration 0s: want more than 0"},
		{"stun of negative time", []string{"drill", "--lab", "--trigger", "stun", "--duration", "-5s"}, "--duration: stun duration -5s: want more than 0"},
		{"duration without stun", []string{"drill", "--lab", "--trigger", "power-off", "--duration", "5s"}, "--duration is for --trigger stun"},
		{"no witness in the lab", []string{"drill", "--lab", "--no-witness"}, "--no-witness are for vSphere"},
		{"no witness with --sim", []string{"drill", "--sim", "--no-witness"}, "--sim has no witness already"},
		{"no witness of a stun", []string{"drill", "--config", cfg, "--no-witness", "--trigger", "stun"}, "drill --no-witness: trigger stun leaves nothing vSphere can show"},
		{"no witness with an interface", []string{"drill", "--config", cfg, "--no-witness", "--interface", "ens224"}, "--interface does not apply"},
		{"restore of no target", []string{"drill", "restore"}, "want --lab, or --config"},
		{"restore of lab and sim", []string{"drill", "restore", "--lab", "--sim"}, "exclusive"},
		{"restore of lab with config", []string{"drill", "restore", "--lab", "--config", cfg}, "--lab is one pair"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runDrillCLI(t, nil, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 saying %q", code, errOut, tc.want)
			}
		})
	}
}

func TestDrillDryRunTouchesNothing(t *testing.T) {
	cfg := writeDrillConfig(t, drillYAML)
	hist := t.TempDir()
	// The vCenter URL is unreachable: a dry run must not need it.
	code, out, errOut := runDrillCLI(t, nil, "drill", "--config", cfg, "--trigger", "power-off", "--dry-run", "--history", hist, "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		DryRun bool            `json:"dry_run"`
		Plan   []failover.Step `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !doc.DryRun || len(doc.Plan) != 12 {
		t.Fatalf("plan %+v", doc)
	}
	if !strings.Contains(doc.Plan[2].Action, "power VM router-002 off") || !strings.Contains(doc.Plan[4].Action, "power VM router-002 on") {
		t.Errorf("trigger/restore steps: %q / %q", doc.Plan[2].Action, doc.Plan[4].Action)
	}
	if entries, _ := os.ReadDir(hist); len(entries) != 0 {
		t.Errorf("a dry run wrote %d files into the history", len(entries))
	}
	code, out, _ = runDrillCLI(t, nil, "drill", "--config", cfg, "--network", "intranought", "--dry-run")
	if code != exitOK || !strings.Contains(out, "disconnect VM router-002's NIC on portgroup IntraNought") || !strings.Contains(out, "nothing was touched") {
		t.Errorf("table plan: exit %d\n%s", code, out)
	}
}

func TestDrillHistoryCommand(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 5, 1, 5, 30, 0, 0, time.UTC)
	var reps []failover.Report
	for i, b := range []float64{3.4, 3.5, 3.39} {
		reps = append(reps, failover.Report{Pass: true, Pair: "routers", Network: "intranought", Trigger: "nic-disconnect",
			NewMaster: "router-003", TakeoverS: 3.39, BlackoutS: b, Started: start.Add(time.Duration(i) * 7 * 24 * time.Hour)})
	}
	if err := history.Append(dir, reps); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runDrillCLI(t, nil, "drill", "history", "--history", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"2026-05-15T05:30:00Z", "3/3", "3.400s", "steady"} {
		if !strings.Contains(out, want) {
			t.Errorf("history table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runDrillCLI(t, map[string]string{"XDG_STATE_HOME": filepath.Dir(filepath.Dir(dir))}, "drill", "history", "--history", dir, "-o", "json")
	var doc struct {
		Runs   []failover.Report `json:"runs"`
		Trends []history.Trend   `json:"trends"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Runs) != 3 || len(doc.Trends) != 1 || doc.Trends[0].BlackoutMedianS != 3.4 {
		t.Errorf("history json: exit %d %+v\n%s", code, doc, out)
	}
	// The default directory comes from the environment.
	state := t.TempDir()
	if code, out, _ := runDrillCLI(t, map[string]string{"XDG_STATE_HOME": state}, "drill", "history", "-o", "json"); code != exitOK || !strings.Contains(out, `"runs": []`) {
		t.Errorf("empty default history: exit %d\n%s", code, out)
	}
}

func TestLabCommandErrors(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runDrillCLI(t, nil, "lab", "status", "--state-dir", dir); code == exitOK || !strings.Contains(errOut, "no lab is up") {
		t.Errorf("status without a lab: exit %d %q", code, errOut)
	}
	if code, _, errOut := runDrillCLI(t, nil, "lab", "up", "--peer", "vrrpd", "--state-dir", dir); code != exitUsage || !strings.Contains(errOut, "carpvm, ucarp, keepalived") {
		t.Errorf("bad peer: exit %d %q", code, errOut)
	}
	if code, _, _ := runDrillCLI(t, nil, "lab"); code != exitUsage {
		t.Errorf("lab without a subcommand: exit %d", code)
	}
	if code, _, errOut := runDrillCLI(t, nil, "drill", "--lab", "--lab-state-dir", dir); code != exitUsage || !strings.Contains(errOut, "carpvm lab up") {
		t.Errorf("drill --lab without a lab: exit %d %q", code, errOut)
	}
}

// TestDrillHistorySkipsBadLines: a torn line does not stop drill history;
// it is counted on stderr and in the JSON.
func TestDrillHistorySkipsBadLines(t *testing.T) {
	dir := t.TempDir()
	body := `{"pass":true,"pair":"routers","network":"intranought","trigger":"demote"}` + "\n" + `{"pass":true,"pai` + "\n"
	if err := os.WriteFile(filepath.Join(dir, history.File), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runDrillCLI(t, nil, "drill", "history", "--history", dir)
	if code != exitOK || !strings.Contains(out, "intranought") || !strings.Contains(errOut, "1 line(s) of "+filepath.Join(dir, history.File)+" skipped") {
		t.Errorf("drill history: exit %d, stderr %q\n%s", code, errOut, out)
	}
	code, out, _ = runDrillCLI(t, nil, "drill", "history", "--history", dir, "-o", "json")
	var doc struct {
		Runs    []failover.Report `json:"runs"`
		Skipped int               `json:"skipped_lines"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Runs) != 1 || doc.Skipped != 1 {
		t.Errorf("drill history -o json: exit %d %+v\n%s", code, doc, out)
	}
}

// TestDrillUnitCreatesItsDirectories: every directory the shipped systemd
// unit's drill writes into (history, metrics, report) is one of the unit's
// StateDirectory= entries, which systemd creates.
func TestDrillUnitCreatesItsDirectories(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy", "carpvm-drill.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(b), "\\\n", " ")
	created := map[string]bool{}
	var exec []string
	for _, line := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(line, "StateDirectory="); ok {
			for _, d := range strings.Fields(v) {
				created[filepath.Join("/var/lib", d)] = true
			}
		}
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			exec = strings.Fields(v)
		}
	}
	wrote := 0
	for i := 0; i+1 < len(exec); i++ {
		dir := ""
		switch exec[i] {
		case "--history":
			dir = exec[i+1]
		case "--metrics-file", "--report":
			dir = filepath.Dir(exec[i+1])
		default:
			continue
		}
		wrote++
		if !created[dir] {
			t.Errorf("the unit's drill writes %s %s into %s, which no StateDirectory= creates (%v)", exec[i], exec[i+1], dir, created)
		}
	}
	if wrote != 3 {
		t.Errorf("found %d of --history, --metrics-file, --report in ExecStart %q", wrote, exec)
	}
}
