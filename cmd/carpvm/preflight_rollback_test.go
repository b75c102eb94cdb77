package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/carpvm/carpvm/workflow"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/flock"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// runCarpvm runs the whole command line with env as the environment.
func runCarpvm(env map[string]string, args ...string) runResult {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(k string) string { return env[k] })
	return runResult{code, out.String(), errOut.String()}
}

// TestRollbackWithGOVCOnly: preflight rollback FILE runs with only
// GOVC_USERNAME and GOVC_PASSWORD set (no carpvm.yaml, no pair, no
// networks): the backup names the server and its pinned thumbprint. A
// GOVC_URL naming another server is refused.
func TestRollbackWithGOVCOnly(t *testing.T) {
	s, backup, env := fixedWithBackup(t)

	u, _ := url.Parse(s.srv.URL)
	other := map[string]string{"GOVC_URL": "https://" + u.Hostname() + ":1/sdk"}
	for k, v := range env {
		other[k] = v
	}
	r := runCarpvm(other, "preflight", "rollback", backup)
	if r.code != exitUsage || !strings.Contains(r.stderr, "the backup is of "+s.srv.URL) || !strings.Contains(r.stderr, ":1/sdk") {
		t.Errorf("GOVC_URL of another server: exit %d, want 2 naming both servers:\n%s", r.code, r.stderr)
	}

	r = runCarpvm(env, "preflight", "rollback", backup)
	if r.code != exitOK {
		t.Fatalf("rollback with GOVC_* only: exit %d\n%s", r.code, r.stderr)
	}
	assertRolledBack(t, s, r)
}

// fixedWithBackup fixes the default simulated pair with --yes and a
// backup file, and returns the simulator, the backup and the environment
// a rollback runs with: its state directory and GOVC_* credentials only.
func fixedWithBackup(t *testing.T) (*fixSim, string, map[string]string) {
	t.Helper()
	s := startFixSim(t, sim.Default())
	state := t.TempDir()
	backup := filepath.Join(t.TempDir(), "b.json")
	if r := runFix(t, s, fixOptions{Getenv: stateEnv(state), fixFlags: fixFlags{Yes: true, Backup: backup}}); !r.doc.Applied {
		t.Fatalf("fix not applied (exit %d):\n%s", r.code, r.stderr)
	}
	return s, backup, map[string]string{"XDG_STATE_HOME": state, "GOVC_USERNAME": s.srv.Username, "GOVC_PASSWORD": s.srv.Password.Reveal()}
}

// TestFixLockHeld: while another process holds the vCenter's writers'
// lock, --fix --yes is refused (exit 4) naming the lock and its holder,
// and changes nothing.
func TestFixLockHeld(t *testing.T) {
	s := startFixSim(t, sim.Default())
	state := t.TempDir()
	u, _ := url.Parse(s.srv.URL)
	path := filepath.Join(state, "carpvm", "locks", "vsphere-"+u.Hostname()+"_"+u.Port()+".lock")
	l, err := flock.TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	r := runFix(t, s, fixOptions{Getenv: stateEnv(state), fixFlags: fixFlags{Yes: true, Backup: filepath.Join(t.TempDir(), "b.json")}})
	if r.code != exitNotApplied || r.doc.Applied {
		t.Fatalf("exit %d, applied %v; want 4, not applied\n%s", r.code, r.doc.Applied, r.stderr)
	}
	for _, want := range []string{path, fmt.Sprintf("held by pid %d", os.Getpid()), "another carpvm is writing to " + s.srv.URL} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 1 {
		t.Errorf("a refused fix changed vSphere: the plan has %d changes, want 1", len(again.doc.Plan))
	}
}

// interruptedBackend cancels the run's context as Apply starts (Ctrl-C)
// and records how Close was called.
type interruptedBackend struct {
	workflow.Backend
	cancel   context.CancelFunc
	closeCtx error // the context's error when Close was called
	closeErr error
}

func (b *interruptedBackend) Apply(ctx context.Context, bk change.Backup) error {
	b.cancel()
	return b.Backend.Apply(ctx, bk)
}

func (b *interruptedBackend) Close(ctx context.Context) error {
	b.closeCtx = ctx.Err()
	b.closeErr = b.Backend.Close(ctx)
	return b.closeErr
}

// TestFixInterruptedLogsOut: after Ctrl-C during the apply, --fix still
// logs out, on a fresh context, and the inventory is as before.
func TestFixInterruptedLogsOut(t *testing.T) {
	s := startFixSim(t, sim.Default())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var be *interruptedBackend
	o := fixOptions{Getenv: stateEnv(t.TempDir()), fixFlags: fixFlags{Yes: true, Backup: filepath.Join(t.TempDir(), "b.json")}}
	var out, errOut bytes.Buffer
	o.IO = IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	o.LoadConfig = func(bool) (*config.Config, error) { return s.config() }
	o.Connect = func(ctx context.Context, cfg *config.Config, top string, progress func(string, ...any)) (workflow.Backend, error) {
		inner, err := s.connect(ctx, cfg, top, progress)
		be = &interruptedBackend{Backend: inner, cancel: cancel}
		return be, err
	}
	o.Now, o.Log, o.Output, o.Scope, o.DVSMode = time.Now, slog.New(slog.NewTextHandler(&errOut, nil)), "json", "portgroup", "promiscuous"
	err := fixRun(ctx, &o)
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("fixRun: err = %v, want the interrupted apply\n%s", err, errOut.String())
	}
	if be.closeCtx != nil || be.closeErr != nil {
		t.Errorf("log out on a context with error %v: %v; want a fresh context and a clean log-out", be.closeCtx, be.closeErr)
	}
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 1 {
		t.Errorf("after the interrupted fix the plan has %d changes, want the 1 of before", len(again.doc.Plan))
	}
}

// setIntraNoughtPromiscuous sets the IntraNought portgroup's promiscuous
// mode on esxi-01 (the default plan's one change) behind carpvm's back,
// keeping the rest of its spec.
func setIntraNoughtPromiscuous(t *testing.T, s *fixSim, v bool) {
	t.Helper()
	ctx := context.Background()
	vs, err := vsphere.Open(ctx, s.srv.VSphereConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer vs.Close(ctx)
	host, err := find.NewFinder(vs.Client()).HostSystem(ctx, "esxi-01")
	if err != nil {
		t.Fatal(err)
	}
	var hs mo.HostSystem
	if err := host.Properties(ctx, host.Reference(), []string{"config.network.portgroup", "configManager.networkSystem"}, &hs); err != nil {
		t.Fatal(err)
	}
	for _, pg := range hs.Config.Network.Portgroup {
		if pg.Spec.Name != sim.PortgroupInternal {
			continue
		}
		spec := pg.Spec
		spec.Policy.Security = &types.HostNetworkSecurityPolicy{AllowPromiscuous: types.NewBool(v)}
		if err := object.NewHostNetworkSystem(vs.Client(), *hs.ConfigManager.NetworkSystem).UpdatePortGroup(ctx, spec.Name, spec); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("no IntraNought portgroup on esxi-01")
}

// TestRollbackConflictExit: a field changed since the fix makes rollback
// refuse with exit 4, naming object, field, value now and value it would
// write; --force writes it.
func TestRollbackConflictExit(t *testing.T) {
	s, backup, env := fixedWithBackup(t)
	setIntraNoughtPromiscuous(t, s, false)
	r := runCarpvm(env, "preflight", "rollback", backup)
	if r.code != exitNotApplied {
		t.Fatalf("rollback over a changed field: exit %d, want 4\n%s", r.code, r.stderr)
	}
	if want := "portgroup IntraNought on esxi-01: field policy.security.allowPromiscuous is now false, would write unset"; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--force") {
		t.Errorf("stderr does not say %q and --force:\n%s", want, r.stderr)
	}
	if r = runCarpvm(env, "preflight", "rollback", "--force", backup); r.code != exitOK {
		t.Fatalf("rollback --force: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRollbackJSON: preflight rollback -o json prints one "rollback"
// document: the file, the server (without credentials), the objects
// restored and when the backup was taken.
func TestRollbackJSON(t *testing.T) {
	s, backup, env := fixedWithBackup(t)
	r := runCarpvm(env, "preflight", "rollback", backup, "-o", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Format, File, Target string
		Objects              int
		Saved                time.Time
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if doc.Format != "carpvm.rollback/v1" || doc.File != backup || doc.Target != s.srv.URL || doc.Objects != 1 || doc.Saved.IsZero() {
		t.Errorf("document %+v", doc)
	}
	if strings.Contains(r.stdout+r.stderr, s.srv.Password.Reveal()) {
		t.Error("the output holds the password")
	}
}

// login is who a rollback logged in as, and where.
type login struct{ URL, Username string }

// runRollbackRecording runs the whole command line with env, the rollback
// command logging in through s and recording each login.
func runRollbackRecording(t *testing.T, s *fixSim, env map[string]string, args ...string) (runResult, []login) {
	t.Helper()
	var logins []login
	r := runRollbackWith(t, env, func(ctx context.Context, cfg *config.Config, top string, progress func(string, ...any)) (workflow.Backend, error) {
		logins = append(logins, login{cfg.VSphere.URL, cfg.VSphere.Username})
		return s.connect(ctx, cfg, top, progress)
	}, args...)
	return r, logins
}

// runRollbackWith runs the whole command line with env, the rollback
// command connecting through connect.
func runRollbackWith(t *testing.T, env map[string]string, connect connectFunc, args ...string) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &App{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Getenv: func(k string) string { return env[k] }}
	root := newRootCmd(app)
	preflight, _, err := root.Find([]string{"preflight"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range preflight.Commands() {
		if c.Name() == "rollback" {
			preflight.RemoveCommand(c)
		}
	}
	preflight.AddCommand(newPreflightRollbackCmd(app, func(ctx context.Context, o *rollbackOptions) error {
		o.Connect = connect
		return rollbackRun(ctx, o)
	}))
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	code, print := exitCodeOf(err)
	if print {
		fmt.Fprintln(&errOut, "carpvm: "+err.Error())
	}
	return runResult{code, out.String(), errOut.String()}
}

// fleetYAML is a fleet of two pairs: paris on vcenter-par (a server the
// backup is not of; its URL holds a password to keep out of any output),
// roubaix on rbx, each with its own vsphere username.
func fleetYAML(rbx string) string {
	return `pairs:
  - name: paris
    vsphere: {url: "https://paris:hunter2@vcenter-par.example/sdk", username: paris@vsphere.local}
    pair: {routers: [router-002, router-003]}
    networks: [{name: intranought, portgroup: IntraNought, vhid: 1, vips: [172.27.27.14/28]}]
  - name: roubaix
    vsphere: {url: "` + rbx + `", username: ` + sim.Username + `}
    pair: {routers: [router-002, router-003]}
    networks: [{name: intranought, portgroup: IntraNought, vhid: 5, vips: [172.27.27.13/28]}]
`
}

// writeFile writes body to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRollbackFleetPicksTheBackupsServer: with a fleet (a pairs list, or a
// directory of carpvm.yaml files), rollback logs in with the settings of
// the pair whose vsphere.url names the backup's server, here the second
// pair; a pair's networks need not validate, a login is all it needs.
func TestRollbackFleetPicksTheBackupsServer(t *testing.T) {
	for _, form := range []string{"pairs list", "directory"} {
		t.Run(form, func(t *testing.T) {
			s, backup, env := fixedWithBackup(t)
			delete(env, "GOVC_USERNAME")
			dir := t.TempDir()
			config := writeFile(t, dir, "fleet.yaml", fleetYAML(s.srv.URL))
			if form == "directory" {
				config = filepath.Join(dir, "fleet.d")
				if err := os.Mkdir(config, 0o700); err != nil {
					t.Fatal(err)
				}
				writeFile(t, config, "a.yaml", "vsphere: {url: https://vcenter-par.example/sdk, username: paris@vsphere.local}\npair: {name: paris, routers: [router-002, router-003]}\nnetworks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n")
				// vhid 300 is out of range: a full load refuses this pair.
				writeFile(t, config, "b.yaml", "vsphere: {url: "+s.srv.URL+", username: "+sim.Username+"}\npair: {name: roubaix, routers: [router-002, router-003]}\nnetworks: [{name: n, portgroup: P, vhid: 300, vips: [10.0.0.1/24]}]\n")
			}
			r, logins := runRollbackRecording(t, s, env, "preflight", "rollback", backup, "--config", config)
			if r.code != exitOK {
				t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
			}
			if want := []login{{s.srv.URL, sim.Username}}; fmt.Sprint(logins) != fmt.Sprint(want) {
				t.Errorf("logged in as %v, want %v (roubaix's settings)", logins, want)
			}
			assertRolledBack(t, s, r)
		})
	}
}

// TestRollbackFleetRefusals: --pair naming a pair of another server than
// the backup's is refused, as is a fleet none of whose pairs is on the
// backup's server (exit 2, naming the servers); nothing is written.
func TestRollbackFleetRefusals(t *testing.T) {
	s, backup, env := fixedWithBackup(t)
	dir := t.TempDir()
	fleet := writeFile(t, dir, "fleet.yaml", fleetYAML(s.srv.URL))
	elsewhere := writeFile(t, dir, "elsewhere.yaml", fleetYAML("https://vcenter-rbx.example/sdk"))
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"--pair of another server", []string{"--config", fleet, "--pair", "paris"},
			[]string{"the backup is of " + s.srv.URL, "vcenter-par.example"}},
		{"no pair on the backup's server", []string{"--config", elsewhere},
			[]string{s.srv.URL, "paris (https://vcenter-par.example/sdk)", "roubaix (https://vcenter-rbx.example/sdk)"}},
		{"unknown --pair", []string{"--config", fleet, "--pair", "lille"}, []string{`"lille"`, "paris, roubaix"}},
		{"--pair without --config", []string{"--pair", "paris"}, []string{"--pair", "--config"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, logins := runRollbackRecording(t, s, env, append([]string{"preflight", "rollback", backup}, tc.args...)...)
			if r.code != exitUsage || len(logins) != 0 {
				t.Errorf("exit %d after %d login(s), want 2 and none\n%s", r.code, len(logins), r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
				}
			}
			if out := r.stdout + r.stderr; strings.Contains(out, "hunter2") || strings.Contains(out, s.srv.Password.Reveal()) {
				t.Errorf("the output holds a password:\n%s", out)
			}
		})
	}
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 0 {
		t.Errorf("a refused rollback changed vSphere: the plan has %d changes, want 0", len(again.doc.Plan))
	}
}

// TestRollbackSinglePairConfig: a single-pair carpvm.yaml works as before
// fleets: its vsphere settings alone, whatever its networks.
func TestRollbackSinglePairConfig(t *testing.T) {
	s, backup, env := fixedWithBackup(t)
	delete(env, "GOVC_USERNAME")
	file := writeFile(t, t.TempDir(), "carpvm.yaml", "vsphere: {username: "+sim.Username+"}\npair: {routers: [a]}\n")
	r, logins := runRollbackRecording(t, s, env, "preflight", "rollback", backup, "--config", file)
	if r.code != exitOK || fmt.Sprint(logins) != fmt.Sprint([]login{{s.srv.URL, sim.Username}}) {
		t.Errorf("exit %d, logins %v; want 0 and one login to the backup's server\n%s", r.code, logins, r.stderr)
	}
}

// assertRolledBack checks a rollback of the fix's 2 objects: restored,
// no password printed, and the plan of a new fix back to its 2 changes.
func assertRolledBack(t *testing.T, s *fixSim, r runResult) {
	t.Helper()
	if !strings.Contains(r.stdout, "restored and verified 1 object(s)") {
		t.Errorf("stdout = %q", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, s.srv.Password.Reveal()) {
		t.Error("the output holds the password")
	}
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 1 {
		t.Errorf("after rollback the plan has %d changes, want 1 again", len(again.doc.Plan))
	}
}
