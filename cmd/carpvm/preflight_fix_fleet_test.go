package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// runFleetFix runs preflight --sim --fix on the example fleet with its
// own state directory (backups) and standard input.
func runFleetFix(t *testing.T, in string, tty bool, args ...string) (runResult, string) {
	t.Helper()
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state, "CARPVM_LOCK_DIR": t.TempDir()}
	var out, errOut bytes.Buffer
	args = append([]string{"preflight", "--sim", "--config", fleetExample, "--fix"}, args...)
	code := run(context.Background(), args, IOStreams{In: strings.NewReader(in), InTTY: tty, Out: &out, ErrOut: &errOut}, func(k string) string { return env[k] })
	return runResult{code, out.String(), errOut.String()}, state
}

type fleetFixEntry struct {
	Format  string `json:"format"`
	Pair    string `json:"pair"`
	Exit    int    `json:"exit"`
	Applied bool   `json:"applied"`
	Backup  string `json:"backup"`
	Plan    []json.RawMessage
	Error   string `json:"error"`
}

func decodeFleetFix(t *testing.T, r runResult) []fleetFixEntry {
	t.Helper()
	var fleet struct {
		Format string          `json:"format"`
		Pairs  []fleetFixEntry `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &fleet); err != nil || fleet.Format != "carpvm.fleet/v1" {
		t.Fatalf("not a carpvm.fleet/v1 document (format %q): %v\n%s%s", fleet.Format, err, r.stdout, r.stderr)
	}
	return fleet.Pairs
}

// Without --pair, --fix --yes fixes each pair in turn, each with its own
// plan, backup file and re-check; the exit code is the worst pair's (the
// simulator's single host still fails both after the fix).
func TestFixFleetOnePairAtATime(t *testing.T) {
	r, _ := runFleetFix(t, "", false, "--yes", "-o", "json")
	if r.code != exitCheckFailed {
		t.Fatalf("exit %d, want 1 (the single host is left to the operator)\n%s%s", r.code, r.stdout, r.stderr)
	}
	docs := decodeFleetFix(t, r)
	if len(docs) != 2 || docs[0].Pair != "paris" || docs[1].Pair != "roubaix" {
		t.Fatalf("entries %+v, want paris then roubaix", docs)
	}
	for _, d := range docs {
		if d.Format != "carpvm.preflight-fix/v1" || !d.Applied || len(d.Plan) == 0 || d.Exit != exitCheckFailed {
			t.Errorf("%s: %+v; want its plan applied, exit 1", d.Pair, d)
		}
		if _, err := os.Stat(d.Backup); err != nil {
			t.Errorf("%s: backup %q: %v", d.Pair, d.Backup, err)
		}
	}
	if docs[0].Backup == docs[1].Backup {
		t.Errorf("both pairs' backups in one file %s", docs[0].Backup)
	}

	r, _ = runFleetFix(t, "", false, "--yes")
	paris, roubaix := strings.Index(r.stdout, "== pair paris =="), strings.Index(r.stdout, "== pair roubaix ==")
	if paris < 0 || roubaix < paris || strings.Count(r.stdout, "Applied 1 change(s)")+strings.Count(r.stdout, "Applied 2 change(s)") != 2 {
		t.Errorf("want a section per pair, each applied:\n%s", r.stdout)
	}
	if !strings.HasSuffix(r.stdout, "fleet: 0/2 pair(s) fixed and passing; not: paris (exit 1), roubaix (exit 1)\n") {
		t.Errorf("want a last line naming each pair's exit:\n%s", r.stdout)
	}
}

// Each pair is confirmed on its own, from one reader of standard input:
// "n" for paris, "y" for roubaix applies roubaix's plan only, and the run
// exits 4 (a plan not applied).
func TestFixFleetConfirmsEachPair(t *testing.T) {
	r, state := runFleetFix(t, "n\ny\n", true, "-o", "json")
	if r.code != exitNotApplied {
		t.Fatalf("exit %d, want 4 (paris's plan not applied)\n%s%s", r.code, r.stdout, r.stderr)
	}
	docs := decodeFleetFix(t, r)
	if len(docs) != 2 || docs[0].Applied || docs[0].Exit != exitNotApplied || !docs[1].Applied {
		var got []string
		for _, d := range docs {
			got = append(got, fmt.Sprintf("%s applied=%t exit=%d", d.Pair, d.Applied, d.Exit))
		}
		t.Fatalf("entries %v; want paris not applied (exit 4), roubaix applied", got)
	}
	if strings.Count(r.stderr, "Apply these") != 2 {
		t.Errorf("asked %d times, want once per pair:\n%s", strings.Count(r.stderr, "Apply these"), r.stderr)
	}
	backups, _ := os.ReadDir(state + "/carpvm/backups")
	if len(backups) != 1 {
		t.Errorf("%d backups, want roubaix's one", len(backups))
	}
}

// Off a terminal and without --yes, no pair is written.
func TestFixFleetNotATerminal(t *testing.T) {
	r, state := runFleetFix(t, "y\ny\n", false)
	if r.code != exitNotApplied || strings.Count(r.stderr, "re-run with --yes") != 2 {
		t.Fatalf("exit %d, want 4 with a notice per pair\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(state + "/carpvm/backups"); !os.IsNotExist(err) {
		t.Errorf("backups directory exists (%v): something was written", err)
	}
}
