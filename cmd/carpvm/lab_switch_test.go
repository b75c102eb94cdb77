package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/internal/statepaths"
	"github.com/carpvm/carpvm/workflow"
)

// preflight --save-facts writes the facts it checked; with --fix, those
// gathered again after applying (promiscuous mode now accepted).
func TestPreflightSaveFacts(t *testing.T) {
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.json"), filepath.Join(dir, "after.json")
	env := map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "state"), statepaths.LockDirEnv: filepath.Join(dir, "locks")}
	if code, _, errOut := runDrillCLI(t, env, "preflight", "--sim", "--save-facts", before); code != exitCheckFailed || !strings.Contains(errOut, "facts saved to "+before) {
		t.Fatalf("preflight --sim --save-facts: exit %d, want 1 (checks fail):\n%s", code, errOut)
	}
	code, out, errOut := runDrillCLI(t, env, "preflight", "--sim", "--fix", "--yes", "--backup", filepath.Join(dir, "backup.json"), "-o", "json", "--save-facts", after)
	if code != exitCheckFailed || !strings.Contains(errOut, "facts saved to "+after) || !strings.HasPrefix(out, "{") {
		t.Fatalf("preflight --sim --fix --yes --save-facts: exit %d, want 1 (the shared host stays):\n%s\n%s", code, out, errOut)
	}
	for _, tc := range []struct {
		file        string
		promiscuous bool
	}{{before, false}, {after, true}} {
		m, err := workflow.SwitchModelFromFacts(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Nets["intranought"].Promiscuous; got != tc.promiscuous {
			t.Errorf("%s: intranought promiscuous Accept %v, want %v", filepath.Base(tc.file), got, tc.promiscuous)
		}
	}
}

func TestLabUpSwitchFlagErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"format": 7, "facts": {}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--facts", bad}, []string{"bad.json", `format 7: want "carpvm.facts/v1"`}},
		{[]string{"--topology", "nope"}, []string{`--topology "nope"`, "teamed"}},
		{[]string{"--facts", bad, "--topology", "default"}, []string{"facts", "topology"}},
	} {
		args := append([]string{"lab", "up", "--state-dir", filepath.Join(dir, "lab"), "--prefix", "tsw-"}, tc.args...)
		code, _, errOut := runDrillCLI(t, nil, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%q)", tc.args, code, exitUsage, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: error %q does not say %q", tc.args, errOut, w)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "lab")); err == nil {
		t.Error("a refused lab up created its state directory")
	}
}

// The end-to-end path of docs/vswitch-model.md: the simulator's facts
// (promiscuous Reject) build a lab whose drill fails naming promiscuous
// mode and the check that predicted it; the facts after --fix build one
// whose drill passes.
func TestLabFactsDrillEndToEnd(t *testing.T) {
	lc := newLabCLI(t, "tsw")
	tmp, env, runBin, prefix, stateDir := lc.tmp, lc.env, lc.run, lc.prefix, lc.stateDir
	before, after := filepath.Join(tmp, "before.json"), filepath.Join(tmp, "after.json")
	if out, err := runBin("preflight", "--sim", "--save-facts", before); !strings.Contains(out, "facts saved") {
		t.Fatalf("preflight --sim --save-facts: %v\n%s", err, out)
	}
	labUp := func(facts string) {
		t.Helper()
		if out, err := runBin("lab", "up", "--facts", facts, "--advbase", "0", "--prefix", prefix, "--state-dir", stateDir); err != nil {
			t.Fatalf("lab up --facts %s: %v\n%s", facts, err, out)
		}
	}
	drill := []string{"drill", "--lab", "--lab-prefix", prefix, "--lab-state-dir", stateDir, "--trigger", "power-off", "--network", "intranought", "--history", filepath.Join(tmp, "history")}

	labUp(before)
	code, out, errOut := runDrillCLI(t, env, drill...)
	t.Logf("drill on the unfixed vSwitch:\n%s", out)
	for _, want := range []string{
		"VIP 172.27.27.14 does not answer: unicast to 00:00:5e:00:01:01 is not delivered to router-002's port (promiscuous Reject on IntraNought)",
		"[predicted by security.promiscuous]",
	} {
		if code != exitCheckFailed || !strings.Contains(out, want) {
			t.Errorf("drill: exit %d, want 1 saying %q:\n%s\n%s", code, want, out, errOut)
		}
	}

	if out, err := runBin("preflight", "--sim", "--fix", "--yes", "--backup", filepath.Join(tmp, "backup.json"), "--save-facts", after); !strings.Contains(out, "facts saved") {
		t.Fatalf("preflight --fix --save-facts: %v\n%s", err, out)
	}
	labUp(after)
	if code, out, errOut := runDrillCLI(t, env, drill...); code != exitOK {
		t.Errorf("drill after the fix: exit %d, want 0:\n%s\n%s", code, out, errOut)
	}
}
