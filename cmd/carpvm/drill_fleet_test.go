package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/workflow"
)

// brokenFleet is the example fleet with a third pair whose preferred
// master is no VM of the simulator: its trigger cannot act.
func brokenFleet(t *testing.T) string {
	t.Helper()
	body, err := os.ReadFile(fleetExample)
	if err != nil {
		t.Fatal(err)
	}
	extra := `  - name: lyon
    pair:
      routers: [router-009, router-003]
    networks:
      - name: intranought
        portgroup: IntraNought
        vhid: 7
        vips: [172.27.27.9/28]
`
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, append(body, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Without --pair, drill drills every pair of the fleet in turn and prints
// one report with a section per pair; -o json is a list with each pair's
// name, verdict and reports.
func TestDrillFleetEveryPair(t *testing.T) {
	got := runCLI(t, nil, "drill", "--sim", "--config", fleetExample, "--trigger", "power-off", "--force")
	if got.code != exitOK {
		t.Fatalf("exit %d, want 0 (both pairs' triggers read back)\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
	}
	paris, roubaix := strings.Index(got.stdout, "== pair paris =="), strings.Index(got.stdout, "== pair roubaix ==")
	if paris < 0 || roubaix < paris {
		t.Fatalf("want a section for paris, then roubaix:\n%s", got.stdout)
	}
	if !strings.Contains(got.stdout[roubaix:], "power VM router-003 off") || strings.Contains(got.stdout[roubaix:], "public") {
		t.Errorf("roubaix's section: want its own master (router-003) powered off, and no public network:\n%s", got.stdout[roubaix:])
	}

	got = runCLI(t, nil, "drill", "--sim", "--config", fleetExample, "--trigger", "power-off", "--force", "-o", "json")
	if got.code != exitOK {
		t.Fatalf("-o json: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	var fleet struct {
		Format string `json:"format"`
		Pairs  []struct {
			Format  string            `json:"format"`
			Pair    string            `json:"pair"`
			Pass    bool              `json:"pass"`
			Exit    int               `json:"exit"`
			Reports []failover.Report `json:"reports"`
		} `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &fleet); err != nil || fleet.Format != "carpvm.fleet/v1" {
		t.Fatalf("not a carpvm.fleet/v1 document (format %q): %v\n%s", fleet.Format, err, got.stdout)
	}
	docs := fleet.Pairs
	if len(docs) != 2 || docs[0].Pair != "paris" || docs[1].Pair != "roubaix" {
		t.Fatalf("entries %+v, want paris then roubaix", docs)
	}
	for _, d := range docs {
		if d.Format != "carpvm.drill/v1" || !d.Pass || d.Exit != 0 {
			t.Errorf("%s: format %q pass %t exit %d; want carpvm.drill/v1, passed, 0", d.Pair, d.Format, d.Pass, d.Exit)
		}
		for _, r := range d.Reports {
			if r.Pair != d.Pair || !r.Restored {
				t.Errorf("%s: a report of pair %q (restored %t)", d.Pair, r.Pair, r.Restored)
			}
		}
	}
	if len(docs[0].Reports) != 2 || len(docs[1].Reports) != 1 {
		t.Errorf("paris %d reports, roubaix %d; want 2 and 1 (one per network)", len(docs[0].Reports), len(docs[1].Reports))
	}
}

// A pair whose drill fails does not stop the others; the exit code is the
// worst pair's, and the report names what failed where.
func TestDrillFleetWorstExit(t *testing.T) {
	report := filepath.Join(t.TempDir(), "fleet.md")
	got := runCLI(t, nil, "drill", "--sim", "--config", brokenFleet(t), "--trigger", "power-off", "--force", "--report", report)
	if got.code != exitCheckFailed {
		t.Fatalf("exit %d, want 1 (lyon's trigger cannot act)\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
	}
	lyon := strings.Index(got.stdout, "== pair lyon ==")
	if lyon < 0 || !strings.Contains(got.stdout[lyon:], "FAIL") || !strings.Contains(got.stdout[lyon:], "router-009") {
		t.Fatalf("want lyon's section failing on router-009:\n%s", got.stdout)
	}
	if !strings.HasSuffix(got.stdout, "\nfleet: 2/3 pair(s) passed; failed: lyon (exit 1)\n") {
		t.Errorf("want a last line naming the failed pair and its exit code:\n%s", got.stdout)
	}
	if strings.Count(got.stdout[:lyon], "drill PASS") != 2 {
		t.Errorf("want paris and roubaix passing before lyon:\n%s", got.stdout[:lyon])
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# carpvm failover drill: 3 pairs\n\nResult: **FAIL**", "\n## carpvm failover drill: paris", "\n## carpvm failover drill: roubaix", "\n## carpvm failover drill: lyon", "\n### intranought (vhid 7)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the report has no %q: want a section per pair:\n%s", want, md)
		}
	}
}

// Everything each pair needs is checked before the first is drilled: a
// network one pair lacks, an interface for a pair that does not exist, a
// pair with no witness interface (on vSphere) are usage errors naming the
// pair, with nothing touched.
func TestDrillFleetUsageErrors(t *testing.T) {
	env := map[string]string{"CARPVM_VSPHERE_PASSWORD": "s3cret-fleet"}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"network one pair lacks", []string{"--sim", "--network", "public"}, []string{"pair roubaix", `"public"`}},
		{"interface of no pair", []string{"--interface", "lyon=ens224"}, []string{`"lyon" is not a pair`, "paris, roubaix"}},
		{"pair without interface", []string{"--interface", "paris=ens224"}, []string{"--interface PAIR=IF for roubaix"}},
		{"two interfaces for all", []string{"--interface", "ens224,ens256"}, []string{"one interface for every pair at most"}},
		{"pair given twice", []string{"--interface", "paris=ens224", "--interface", "paris=ens256"}, []string{"pair paris given twice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"drill", "--config", fleetExample, "--trigger", "power-off"}, tc.args...)
			got := runCLI(t, env, args...)
			if got.code != exitUsage {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("stderr %q does not say %q", got.stderr, w)
				}
			}
			if strings.Contains(got.stdout+got.stderr, "s3cret-fleet") {
				t.Error("the password appears in the output")
			}
		})
	}
}

// A fleet's dry run prints every pair's plan: one table with the pair in
// its first column, or a JSON list naming each pair.
func TestDrillFleetDryRun(t *testing.T) {
	got := runCLI(t, nil, "drill", "--config", fleetExample, "--trigger", "power-off", "--interface", "paris=ens224,roubaix=ens256", "--dry-run")
	if got.code != exitOK {
		t.Fatalf("exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if !strings.HasPrefix(got.stdout, "PAIR") || !strings.Contains(got.stdout, "paris    intranought") || !strings.Contains(got.stdout, "roubaix  intranought") || !strings.Contains(got.stdout, "nothing was touched") {
		t.Errorf("want one table with both pairs' plans:\n%s", got.stdout)
	}
	got = runCLI(t, nil, "drill", "--config", fleetExample, "--trigger", "power-off", "--dry-run", "-o", "json")
	var fleet struct {
		Format string `json:"format"`
		Pairs  []struct {
			Format string            `json:"format"`
			Pair   string            `json:"pair"`
			Plan   []json.RawMessage `json:"plan"`
		} `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &fleet); err != nil || got.code != exitOK || fleet.Format != "carpvm.fleet/v1" {
		t.Fatalf("exit %d, format %q, %v:\n%s%s", got.code, fleet.Format, err, got.stdout, got.stderr)
	}
	plans := fleet.Pairs
	if len(plans) != 2 || plans[0].Pair != "paris" || plans[1].Pair != "roubaix" || plans[0].Format != "carpvm.drill-plan/v1" || len(plans[1].Plan) == 0 {
		t.Errorf("plans %+v, want paris's and roubaix's", plans)
	}
}

// pairDrillError ranks as the single-pair drill exits: a session that
// could not be opened is vSphere's (3), a failed drill 1, an interrupted
// pair 1, a passed one 0.
func TestPairDrillExit(t *testing.T) {
	passed := []failover.Report{{Pass: true}}
	for _, tc := range []struct {
		name string
		r    workflow.PairDrill
		want int
	}{
		{"passed", workflow.PairDrill{Reports: passed}, exitOK},
		{"failed", workflow.PairDrill{Reports: []failover.Report{{Pass: false}}}, exitCheckFailed},
		{"unreachable", workflow.PairDrill{Err: &workflow.BackendError{Step: "connect", Err: errors.New("connection refused")}}, exitVSphere},
		{"interrupted", workflow.PairDrill{Err: context.Canceled}, exitCheckFailed},
		{"locked by another drill", workflow.PairDrill{Err: &workflow.LockError{Err: failover.ErrLocked}}, exitCheckFailed},
	} {
		if code, _ := exitCodeOf(pairDrillError(tc.r)); code != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, code, tc.want)
		}
	}
}
