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
	"syscall"
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
	if !strings.Contains(r.stdout, "restored and verified 2 object(s)") {
		t.Errorf("stdout = %q", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, s.srv.Password.Reveal()) {
		t.Error("the output holds the password")
	}
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 2 {
		t.Errorf("after rollback the plan has %d changes, want 2 again", len(again.doc.Plan))
	}
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
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 2 {
		t.Errorf("a refused fix changed vSphere: the plan has %d changes, want 2", len(again.doc.Plan))
	}
}

// TestBackupWriteNeverTorn: a backup write cut short (here by a file size
// limit, as a full disk or a kill would) leaves no file at all, not a torn
// one, and no temporary file behind.
func TestBackupWriteNeverTorn(t *testing.T) {
	b, _ := sampleBackup()
	dir := t.TempDir()
	o := &fixOptions{Getenv: stateEnv(dir), fixFlags: fixFlags{Backup: filepath.Join(dir, "b.json")}}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	// Go ignores SIGXFSZ: the write fails with EFBIG instead.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 64, Max: old.Max}); err != nil {
		t.Skipf("cannot limit the file size: %v", err)
	}
	_, err := o.writeBackup(b)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("writeBackup past the file size limit succeeded")
	}
	t.Logf("write cut short: %v", err)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		t.Errorf("left %s behind (%d bytes)", e.Name(), len(data))
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
	if again := runFix(t, s, fixOptions{}); len(again.doc.Plan) != 2 {
		t.Errorf("after the interrupted fix the plan has %d changes, want the 2 of before", len(again.doc.Plan))
	}
}

// setPublicPromiscuous sets the Public portgroup's promiscuous mode on
// esxi-01 behind carpvm's back, keeping the rest of its spec.
func setPublicPromiscuous(t *testing.T, s *fixSim, v bool) {
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
		if pg.Spec.Name != sim.PortgroupPublic {
			continue
		}
		spec := pg.Spec
		spec.Policy.Security = &types.HostNetworkSecurityPolicy{AllowPromiscuous: types.NewBool(v)}
		if err := object.NewHostNetworkSystem(vs.Client(), *hs.ConfigManager.NetworkSystem).UpdatePortGroup(ctx, spec.Name, spec); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("no Public portgroup on esxi-01")
}

// TestRollbackConflictExit: a field changed since the fix makes rollback
// refuse with exit 4, naming object, field, value now and value it would
// write; --force writes it.
func TestRollbackConflictExit(t *testing.T) {
	s, backup, env := fixedWithBackup(t)
	setPublicPromiscuous(t, s, false)
	r := runCarpvm(env, "preflight", "rollback", backup)
	if r.code != exitNotApplied {
		t.Fatalf("rollback over a changed field: exit %d, want 4\n%s", r.code, r.stderr)
	}
	if want := "portgroup Public on esxi-01: field policy.security.allowPromiscuous is now false, would write unset"; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--force") {
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
	if doc.Format != "carpvm.rollback/v1" || doc.File != backup || doc.Target != s.srv.URL || doc.Objects != 2 || doc.Saved.IsZero() {
		t.Errorf("document %+v", doc)
	}
	if strings.Contains(r.stdout+r.stderr, s.srv.Password.Reveal()) {
		t.Error("the output holds the password")
	}
}
