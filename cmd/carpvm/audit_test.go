package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runAudit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code = run(context.Background(), append([]string{"audit"}, args...), streams, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

// A fresh ESXi's vSwitch-level Accepts are broader than CARP needs: exit 1,
// and the JSON document carries its format and every class.
func TestAuditCommandOnTheSimulator(t *testing.T) {
	code, out, stderr := runAudit(t, "--sim", "-o", "json")
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want %d (broader exceptions); stderr: %s", code, exitCheckFailed, stderr)
	}
	var doc struct {
		Format     string `json:"format"`
		Exceptions []struct {
			Class, Object, Setting string
		} `json:"exceptions"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Format != "carpvm.audit/v1" || doc.Summary["justified"] != 4 || doc.Summary["broader"] != 4 || doc.Summary["unjustified"] != 0 {
		t.Errorf("format %q, summary %v; want carpvm.audit/v1, 4 justified, 4 broader", doc.Format, doc.Summary)
	}
}

func TestAuditCommandRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--sim", "-o", "yaml"},
		{"--topology", "teamed"},
		{"--sim", "--topology", "nope"},
		{"--sim", "-o", "markdown", "--date", "07/12/2026"},
	} {
		if code, _, stderr := runAudit(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("audit %v: exit %d (%q), want %d with a message", args, code, stderr, exitUsage)
		}
	}
}

// audit --fix on the simulator narrows both vSwitches onto the router
// portgroups, backs up first, and audits again: every exception left is
// justified (exit 0).
func TestAuditFixCommandOnTheSimulator(t *testing.T) {
	dir := t.TempDir()
	backup := filepath.Join(dir, "audit-backup.json")
	var out, errOut bytes.Buffer
	streams := IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	getenv := func(k string) string {
		if k == "XDG_STATE_HOME" {
			return dir
		}
		return ""
	}
	code := run(context.Background(), []string{"audit", "--sim", "--fix", "--yes", "--backup", backup, "-o", "json"}, streams, getenv)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr: %s", code, errOut.String())
	}
	var doc struct {
		Format  string `json:"format"`
		Applied bool   `json:"applied"`
		Plan    []struct{ Object, Desired string }
		Result  struct {
			Summary map[string]int `json:"summary"`
		} `json:"result"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if doc.Format != "carpvm.audit-fix/v1" || !doc.Applied || len(doc.Plan) != 8 || doc.Result.Summary["justified"] != 4 || doc.Result.Summary["broader"] != 0 {
		t.Errorf("document %+v; want carpvm.audit-fix/v1, applied, 8 changes, 4 justified and none broader", doc)
	}
	if _, err := os.Stat(backup); err != nil {
		t.Errorf("no backup at %s: %v", backup, err)
	}
	if code, _, stderr := runAudit(t, "--sim", "--yes"); code != exitUsage || !strings.Contains(stderr, "need --fix") {
		t.Errorf("audit --yes without --fix: exit %d (%q), want %d", code, stderr, exitUsage)
	}
}
