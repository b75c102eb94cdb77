package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/carpvm/carpvm/workflow"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// fixSim is a simulated vCenter that outlives the --fix runs of a test, so
// that a second run sees what the first one applied.
type fixSim struct {
	srv *sim.Server
}

func startFixSim(t *testing.T, top sim.Topology) *fixSim {
	t.Helper()
	srv, err := sim.Start(context.Background(), top, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &fixSim{srv: srv}
}

func (s *fixSim) config() (*config.Config, error) {
	cfg := config.Simulator()
	cfg.VSphere = s.srv.VSphereConfig()
	return cfg, nil
}

// connect logs in to the test's simulator; Close logs out only.
func (s *fixSim) connect(ctx context.Context, cfg *config.Config, _ string, progress func(string, ...any)) (workflow.Backend, error) {
	return vsphere.Open(ctx, cfg.VSphere)
}

type fixRunResult struct {
	runResult
	doc fixDocument
}

// runFix runs fixRun as preflight --fix does, with -o json unless output
// says otherwise.
func runFix(t *testing.T, s *fixSim, o fixOptions) fixRunResult {
	t.Helper()
	var out, errOut bytes.Buffer
	if o.IO.In == nil {
		o.IO.In = strings.NewReader("")
	}
	o.IO.Out, o.IO.ErrOut = &out, &errOut
	o.LoadConfig = func(bool) (*config.Config, error) { return s.config() }
	if o.Connect == nil {
		o.Connect = s.connect
	}
	if o.Getenv == nil {
		o.Getenv = stateEnv(t.TempDir())
	}
	if o.Now == nil {
		o.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	}
	o.Log = slog.New(slog.NewTextHandler(&errOut, nil))
	if o.Output == "" {
		o.Output = "json"
	}
	if o.Scope == "" {
		o.Scope = "portgroup"
	}
	if o.DVSMode == "" {
		o.DVSMode = "promiscuous"
	}
	err := fixRun(context.Background(), &o)
	code, print := exitCodeOf(err)
	if print {
		errOut.WriteString("carpvm: " + err.Error() + "\n")
	}
	r := fixRunResult{runResult: runResult{code, out.String(), errOut.String()}}
	if o.Output == "json" && out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &r.doc); err != nil {
			t.Fatalf("stdout is not the --fix document: %v\n%s", err, out.String())
		}
	}
	return r
}

// stateEnv is an environment with only XDG_STATE_HOME, set to dir.
func stateEnv(dir string) config.Getenv {
	return func(k string) string {
		if k == "XDG_STATE_HOME" {
			return dir
		}
		return ""
	}
}

func fixFailingChecks(r preflight.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Status == preflight.Fail {
			out = append(out, string(f.Check))
		}
	}
	return out
}

// TestFixNotATerminal: without --yes and off a terminal, --fix prints the
// plan, applies nothing and exits 4.
func TestFixNotATerminal(t *testing.T) {
	s := startFixSim(t, sim.Default())
	r := runFix(t, s, fixOptions{})
	if r.code != exitNotApplied {
		t.Fatalf("exit = %d, want %d\n%s", r.code, exitNotApplied, r.stderr)
	}
	if r.doc.Applied || r.doc.Backup != "" || len(r.doc.Plan) != 1 {
		t.Errorf("doc = applied %v, backup %q, %d changes; want a 1-change plan (IntraNought's promiscuous mode), not applied", r.doc.Applied, r.doc.Backup, len(r.doc.Plan))
	}
	if !strings.Contains(r.stderr, "--yes") {
		t.Errorf("stderr does not say how to apply:\n%s", r.stderr)
	}
	// Nothing was applied: the same plan again.
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 1 {
		t.Errorf("second plan has %d changes, want 1", len(again.doc.Plan))
	}
}

// TestFixTerminalAnswers: on a terminal, only y or yes applies.
func TestFixTerminalAnswers(t *testing.T) {
	s := startFixSim(t, sim.Default())
	for _, answer := range []string{"", "n\n", "no\n", "maybe\n"} {
		r := runFix(t, s, fixOptions{IO: IOStreams{In: strings.NewReader(answer), InTTY: true}})
		if r.code != exitNotApplied || r.doc.Applied {
			t.Errorf("answer %q: exit %d applied %v, want exit 4, not applied", answer, r.code, r.doc.Applied)
		}
		if !strings.Contains(r.stderr, "[y/N]") {
			t.Errorf("answer %q: no prompt on stderr:\n%s", answer, r.stderr)
		}
	}
	dir := t.TempDir()
	r := runFix(t, s, fixOptions{IO: IOStreams{In: strings.NewReader("y\n"), InTTY: true}, fixFlags: fixFlags{Backup: filepath.Join(dir, "b.json")}})
	if !r.doc.Applied {
		t.Fatalf("answer y: not applied (exit %d)\n%s", r.code, r.stderr)
	}
}

// TestFixYesTwice: --yes backs up, applies, re-checks and prints the
// re-checked state; a second run plans nothing; rollback restores and the
// plan is back.
func TestFixYesTwice(t *testing.T) {
	s := startFixSim(t, sim.Default())
	state := t.TempDir()
	env := stateEnv(state)
	first := runFix(t, s, fixOptions{Getenv: env, fixFlags: fixFlags{Yes: true}})
	// Default: the standalone, shared host still fails after the fix.
	if first.code != exitCheckFailed {
		t.Fatalf("exit = %d, want 1 (spof findings remain)\n%s", first.code, first.stderr)
	}
	if !strings.HasPrefix(first.doc.Backup, filepath.Join(state, "carpvm", "backups")+"/") {
		t.Errorf("backup %q is not under $XDG_STATE_HOME/carpvm/backups", first.doc.Backup)
	}
	if !first.doc.Applied || len(first.doc.Plan) != 1 {
		t.Fatalf("applied %v, %d changes; want 1 applied", first.doc.Applied, len(first.doc.Plan))
	}
	if d := cmp.Diff([]string{"spof.same_host", "spof.standalone_host"}, fixFailingChecks(first.doc.Result)); d != "" {
		t.Errorf("failing after the fix (-want +got):\n%s", d)
	}
	if first.doc.Backup == "" {
		t.Fatal("no backup path")
	}
	if _, err := os.Stat(first.doc.Backup); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !strings.Contains(first.stderr, first.doc.Backup) {
		t.Errorf("backup path not printed on stderr:\n%s", first.stderr)
	}

	second := runFix(t, s, fixOptions{Getenv: env, fixFlags: fixFlags{Yes: true}})
	if len(second.doc.Plan) != 0 || second.doc.Applied || second.doc.Backup != "" {
		t.Errorf("second run: %d changes, applied %v, backup %q; want nothing", len(second.doc.Plan), second.doc.Applied, second.doc.Backup)
	}

	var out, errOut bytes.Buffer
	err := rollbackRun(context.Background(), &rollbackOptions{IO: IOStreams{Out: &out, ErrOut: &errOut}, Getenv: env,
		LoadVSphere: func(string) (config.VSphere, error) { return s.srv.VSphereConfig(), nil }, Connect: s.connect, File: first.doc.Backup, Output: "table"})
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "restored and verified 1 object(s)") {
		t.Errorf("rollback output = %q", out.String())
	}
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 1 {
		t.Errorf("after rollback the plan has %d changes, want 1 again", len(again.doc.Plan))
	}
}

// TestFixDefaultBackupPath: the backup goes under $XDG_STATE_HOME, else
// ~/.local/state, never over an earlier one.
func TestFixDefaultBackupPath(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/state", "HOME": "/home/u"}, "/state/carpvm/backups"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/state/carpvm/backups"},
		{map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/state/carpvm/backups"},
	} {
		got, err := defaultBackupDir(func(k string) string { return tt.env[k] })
		if err != nil || got != tt.want {
			t.Errorf("defaultBackupDir(%v) = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
	if _, err := defaultBackupDir(func(string) string { return "" }); err == nil {
		t.Error("no HOME: want an error asking for --backup")
	}
	dir := t.TempDir()
	o := &fixOptions{Getenv: func(k string) string {
		if k == "XDG_STATE_HOME" {
			return dir
		}
		return ""
	}, Now: func() time.Time { return at }}
	b, _ := sampleBackup()
	path, err := o.writeBackup(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "carpvm", "backups", "20260102T030405.000000006Z.json"); path != want {
		t.Errorf("path = %q, want %q", path, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if _, err := o.writeBackup(b); err == nil {
		t.Error("second backup at the same path overwrote the first")
	}
}

// TestFixUsageErrors: bad --scope, --dvs-mode or -o exit 2 before anything
// is read.
func TestFixUsageErrors(t *testing.T) {
	s := startFixSim(t, sim.Default())
	for _, o := range []fixOptions{
		{fixFlags: fixFlags{Scope: "host"}},
		{fixFlags: fixFlags{DVSMode: "learning"}},
		{Output: "yaml"},
	} {
		if r := runFix(t, s, o); r.code != exitUsage {
			t.Errorf("%+v: exit %d, want 2\n%s", o, r.code, r.stderr)
		}
	}
}

// TestFixNoCredentials: neither output, logs nor the backup hold the
// password or user.
func TestFixNoCredentials(t *testing.T) {
	s := startFixSim(t, sim.Default())
	dir := t.TempDir()
	r := runFix(t, s, fixOptions{fixFlags: fixFlags{Yes: true, Backup: filepath.Join(dir, "b.json")}})
	data, err := os.ReadFile(filepath.Join(dir, "b.json"))
	if err != nil {
		t.Fatal(err)
	}
	pass := s.srv.Password.Reveal()
	for name, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "backup": string(data)} {
		if strings.Contains(text, pass) || strings.Contains(text, s.srv.Username) {
			t.Errorf("%s holds credentials", name)
		}
	}
}

var fixMoRef = regexp.MustCompile(`"(ref|host_ref|cluster_ref)": "([a-z]+(?:-[a-z]+)*)-\d+"`)

// TestFixPlanGolden: the plan table (plain, as piped) and the -o json
// document of the typical user's topology, before anything is applied.
func TestFixPlanGolden(t *testing.T) {
	s := startFixSim(t, sim.SharedVMAC(""))
	table := runFix(t, s, fixOptions{Output: "table", fixFlags: fixFlags{SetVMAC: true}})
	js := runFix(t, s, fixOptions{fixFlags: fixFlags{SetVMAC: true}})
	url := s.srv.URL
	for name, got := range map[string]string{"preflight-fix-plan.golden": table.stdout, "preflight-fix-json.golden": js.stdout} {
		got = strings.ReplaceAll(got, url, "https://SIMULATOR/sdk")
		// Managed object ids depend on the simulator's creation order.
		got = fixMoRef.ReplaceAllString(got, `"$1": "$2-N"`)
		golden(t, name, got)
	}
}
