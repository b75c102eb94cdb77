package main

import (
	"bytes"
	"context"
	"encoding/json"
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
