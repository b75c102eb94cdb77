package transition

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scriptDir holds the FreeBSD devd and keepalived notify scripts that
// write transition lines on routers carpvm does not run on.
var scriptDir = filepath.Join("..", "..", "docs", "deploy", "transition")

// runScript runs one of the scripts with sh in a scratch state directory
// and returns what it appended to the log, parsed.
func runScript(t *testing.T, env []string, script string, args ...string) []Transition {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the scripts with")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "transitions.jsonl")
	var ts []Transition
	for _, a := range args {
		cmd := exec.Command(sh, append([]string{filepath.Join(scriptDir, script)}, strings.Fields(a)...)...)
		cmd.Env = append(os.Environ(), append(env, "CARPVM_TRANSITION_LOG="+log, "CARPVM_STATE_DIR="+dir, "CARPVM_ROUTER=router-002")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", script, a, err, out)
		}
	}
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, errs, err := Read(f, log)
	if err != nil || len(errs) > 0 {
		t.Fatalf("the script's lines do not parse: %v %v", err, errs)
	}
	return ts
}

// devd's CARP notify ("1@vmx0 MASTER"), named by the networks file and
// chained from the last state seen.
func TestDevdScriptWritesTransitionLines(t *testing.T) {
	networks := filepath.Join(t.TempDir(), "networks")
	if err := os.WriteFile(networks, []byte("vmx0 intranought\nvmx1 public\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	ts := runScript(t, []string{"CARPVM_NETWORKS=" + networks}, "carpvm-devd-transition", "1@vmx0 BACKUP", "1@vmx0 MASTER", "2@vmx9 MASTER")
	if len(ts) != 3 {
		t.Fatalf("%d lines, want 3", len(ts))
	}
	want := []struct{ network, from, to string }{{"intranought", "INIT", "BACKUP"}, {"intranought", "BACKUP", "MASTER"}, {"vmx9", "INIT", "MASTER"}}
	for i, w := range want {
		got := ts[i]
		if got.Network != w.network || got.From != w.from || got.To != w.to || got.Router != "router-002" || got.Time.Before(before.Truncate(time.Second)) {
			t.Errorf("line %d = %+v, want %+v", i+1, got, w)
		}
	}
	conf, err := os.ReadFile(filepath.Join(scriptDir, "carpvm-transition.devd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), `action "/usr/local/libexec/carpvm-devd-transition $subsystem $type";`) ||
		!strings.Contains(string(conf), `match "system"		"CARP";`) {
		t.Fatalf("the devd.conf stanza does not hand CARP events to the script:\n%s", conf)
	}
}

// keepalived's notify appends TYPE NAME STATE PRIORITY to the command
// line; FAULT and STOP are INIT.
func TestKeepalivedNotifyWritesTransitionLines(t *testing.T) {
	ts := runScript(t, nil, "carpvm-keepalived-notify",
		"intranought 1 INSTANCE VI_1 BACKUP 154", "intranought 1 INSTANCE VI_1 MASTER 154", "intranought 1 INSTANCE VI_1 FAULT 154")
	var got []string
	for _, tr := range ts {
		got = append(got, tr.From+"->"+tr.To)
		if tr.Network != "intranought" || tr.VHID != 1 || !strings.HasPrefix(tr.Reason, "keepalived VI_1") {
			t.Errorf("line %+v", tr)
		}
	}
	if strings.Join(got, " ") != "INIT->BACKUP BACKUP->MASTER MASTER->INIT" {
		t.Fatalf("transitions %v", got)
	}
}
