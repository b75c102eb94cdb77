package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDrillSim: carpvm drill --sim runs the vSphere drill against the
// embedded simulator through the vSphere Env: the gate fails on the
// simulated pair (exit 1, nothing touched) unless --force; forced, the
// trigger is read back and undone, the report says which figures were not
// measured, and nothing is recorded.
func TestDrillSim(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state}
	code, out, errOut := runDrillCLI(t, env, "drill", "--sim", "--network", "intranought", "--trigger", "power-off", "-o", "json")
	if code != exitCheckFailed || !strings.Contains(out, "nothing was touched (--force drills anyway)") {
		t.Errorf("gate failing: exit %d, want 1 with the gate's phase:\n%s\n%s", code, out, errOut)
	}
	for _, trigger := range []string{"power-off", "nic-disconnect"} {
		code, out, errOut = runDrillCLI(t, env, "drill", "--sim", "--network", "intranought", "--trigger", trigger, "--force", "-o", "json")
		if code != exitOK {
			t.Fatalf("%s: exit %d, want 0:\n%s\n%s", trigger, code, out, errOut)
		}
		var rep struct {
			Format      string
			Pass        bool
			Restored    bool
			OldMaster   string `json:"old_master"`
			Unavailable []string
			Notice      string
			Phases      []struct {
				Name, Detail string
				OK           bool
			}
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: %v\n%s", trigger, err, out)
		}
		if rep.Format != "carpvm.drill/v1" || !rep.Pass || !rep.Restored || rep.OldMaster != "router-002" ||
			!slices.Contains(rep.Unavailable, "takeover_s") || !strings.Contains(rep.Notice, "no CARP traffic") {
			t.Errorf("%s: report %+v", trigger, rep)
		}
		want := map[string]string{"power-off": "VM router-002 is poweredOff", "nic-disconnect": "VM router-002's NIC on IntraNought connected=false"}[trigger]
		if !strings.Contains(out, want) {
			t.Errorf("%s: the trigger's read-back %q is not in the report:\n%s", trigger, want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "carpvm", "drills")); !os.IsNotExist(err) {
		t.Errorf("a --sim drill recorded history: %v", err)
	}
}

func TestDrillSimUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sim", "--trigger", "demote"}, "nic-disconnect, link-down or power-off"},
		{[]string{"--sim", "--interface", "eth0"}, "--interface does not apply"},
		{[]string{"--sim", "--metrics-file", "x.prom"}, "--metrics-file does not apply"},
		{[]string{"--sim", "--topology", "tiny"}, `--topology "tiny"`},
		{[]string{"--topology", "teamed", "--config", "x.yaml"}, "--topology needs --sim"},
		{[]string{"--sim", "--lab"}, "--lab and --sim are exclusive"},
	} {
		code, _, errOut := runDrillCLI(t, nil, append([]string{"drill"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want 2 saying %q:\n%s", tc.args, code, tc.want, errOut)
		}
	}
}

// The embedded simulator ends with its drill: drill restore --sim has
// nothing to restore, says so, and exits 0.
func TestDrillRestoreSimHasNothing(t *testing.T) {
	code, out, errOut := runDrillCLI(t, nil, "drill", "restore", "--sim")
	if code != exitOK || !strings.Contains(out, "nothing to restore") {
		t.Errorf("exit %d, %q %q", code, out, errOut)
	}
}
