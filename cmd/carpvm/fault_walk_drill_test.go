package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/internal/statepaths"
	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
	"github.com/carpvm/carpvm/workflow"
)

// The drill's fault walk (docs/architecture.md, "Safety promises"): a
// vSphere drill of router-002 on intranought, for each trigger that acts
// on vSphere (power-off, link-down, stun), is run clean, then once per
// (call, fault) on a fresh simulator that fails that call. The drill's
// witness is a synthetic CARP segment (walkSegment) whose router-002
// follows what the simulator says of the VM, read in process past the
// fault seam, so that its reads are no calls the walk counts. After each
// run, with vCenter back, the inventory must be as before the drill, or
// the drill must have ended with its journal kept, exit 3 (never 0 or 1),
// naming the objects' state and `carpvm drill restore`; that command then
// restores the inventory exactly and removes the journal.

// walkSegment is a synthetic CARP segment of the drilled network: the
// preferred master router-002 advertises while the simulator shows it up
// (sim.VMState.Up: powered on, its NIC connected, no stun snapshot);
// router-003 takes over master-down after it went away, and gives the VIP
// back as soon as it returns (preempt). The VIP answers every tick while
// a master holds it.
type walkSegment struct {
	srv  *sim.Server
	n    failover.Network
	rec  *failover.Recorder
	src  map[string]netip.Addr
	mac  net.HardwareAddr
	stop chan struct{}
	done chan struct{}
}

// walkNetwork gives the drilled network timers that suit the segment: advbase
// 0, the backup's advskew 8 (an advert every 31 ms, master-down 94 ms).
func walkNetwork(n failover.Network) failover.Network {
	n.AdvBase, n.BackupSkew, n.Groups = 0, 8, nil
	return n
}

func startWalkSegment(t *testing.T, srv *sim.Server, env *vsphereenv.Env, n failover.Network, portgroup string) *walkSegment {
	t.Helper()
	cn, _ := env.Config.Network(n.Name)
	seg := &walkSegment{srv: srv, n: n, rec: failover.NewRecorder(nil), src: map[string]netip.Addr{},
		mac: env.VIPMAC(t.Context(), n, ""), stop: make(chan struct{}), done: make(chan struct{})}
	for name, p := range cn.Addresses {
		seg.src[name] = p.Addr()
	}
	go seg.run(portgroup)
	return seg
}

func (seg *walkSegment) run(portgroup string) {
	defer close(seg.done)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	master, downAt := sim.Router1, time.Time{}
	masterDown := carp.MasterDown(seg.n.AdvBase, int(seg.n.BackupSkew))
	lastAdvert := time.Time{}
	for {
		select {
		case <-seg.stop:
			return
		case now := <-tick.C:
			st, err := seg.srv.ReadVM(context.Background(), sim.Router1)
			up := err == nil && st.Up(portgroup, vsphereenv.StunSnapshot)
			switch {
			case up:
				master, downAt = sim.Router1, time.Time{}
			case master == sim.Router1:
				master, downAt = "", now
			case master == "" && now.Sub(downAt) >= masterDown:
				master = sim.Router2
				seg.rec.Add(failover.Event{At: now, Kind: failover.KindGARP, Src: seg.n.VIP, MAC: seg.mac})
			}
			if master == "" {
				continue
			}
			if now.Sub(lastAdvert) >= carp.Interval(seg.n.AdvBase, int(seg.n.BackupSkew)) {
				skew := uint8(0)
				if master == sim.Router2 {
					skew = seg.n.BackupSkew
				}
				seg.rec.Add(failover.Event{At: now, Kind: failover.KindAdvert, VHID: seg.n.VHID, AdvSkew: skew, Src: seg.src[master], MAC: seg.mac})
				lastAdvert = now
			}
			seg.rec.Add(failover.Event{At: now, Kind: failover.KindEchoReply, Src: seg.n.VIP, MAC: seg.mac})
			seg.rec.Add(failover.Event{At: now, Kind: failover.KindARPReply, Src: seg.n.VIP, MAC: seg.mac})
		}
	}
}

func (seg *walkSegment) close() { close(seg.stop); <-seg.done }

// observe hands the segment's events to the drill.
func (seg *walkSegment) observe(context.Context, failover.Network) (failover.Observer, error) {
	return seg.rec, nil
}

// drillWalk is one workflow of the drill's walk: a trigger's drill, or
// drill restore of the journal a killed drill left.
type drillWalk struct {
	name    string
	trigger failover.Trigger
	// prepare leaves the simulator and dir as the run expects them (a
	// killed drill's journal, for a restore); nil for none.
	prepare func(t *testing.T, s *fixSim, d drillDir)
	run     func(t *testing.T, s *fixSim, d drillDir, trigger failover.Trigger, timeout time.Duration) runResult
}

// drillDir is a drill's directories and its carpvm.yaml (the served
// simulator, its password in CARPVM_VSPHERE_PASSWORD).
type drillDir struct {
	cfg, history, locks string
	env                 map[string]string
}

func newDrillDir(t *testing.T, s *fixSim) drillDir {
	t.Helper()
	return newDrillDirAt(t, s, s.srv.URL)
}

// newDrillDirAt is newDrillDir with url, the simulator's or a proxy's in
// front of it, in carpvm.yaml.
func newDrillDirAt(t *testing.T, s *fixSim, url string) drillDir {
	t.Helper()
	dir := t.TempDir()
	d := drillDir{cfg: filepath.Join(dir, "carpvm.yaml"), history: filepath.Join(dir, "history"), locks: filepath.Join(dir, "locks")}
	d.env = map[string]string{statepaths.LockDirEnv: d.locks, "XDG_STATE_HOME": filepath.Join(dir, "state"), "CARPVM_VSPHERE_PASSWORD": s.srv.Password.Reveal()}
	writeSimConfig(t, d.cfg, s, url)
	return d
}

// writeSimConfig writes a carpvm.yaml at path for s's simulated pair, its
// vCenter at url (the simulator's, or a proxy's in front of it); the
// password is left to CARPVM_VSPHERE_PASSWORD.
func writeSimConfig(t *testing.T, path string, s *fixSim, url string) {
	t.Helper()
	body := fmt.Sprintf("vsphere:\n  url: %s\n  username: %s\n  thumbprint: %q\n%s", url, s.srv.Username, s.srv.Thumbprint, config.SimulatorYAML)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// config loads the drill's carpvm.yaml as the command does.
func (d drillDir) config(t *testing.T) *config.Config {
	t.Helper()
	app := &App{Getenv: func(k string) string { return d.env[k] }, configFile: d.cfg}
	cfg, err := app.LoadConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// restoreCommand is what the drill's journal names (drillOptions.restoreCommand).
func (d drillDir) restoreCommand() string {
	o := &drillOptions{History: d.history}
	return o.restoreCommand(&App{configFile: d.cfg}, "routers")
}

func (d drillDir) journal(t *testing.T) *failover.Journal {
	t.Helper()
	j, err := failover.ReadJournal(d.history, "routers")
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// openDrillSession logs in to cfg's vCenter for a drill of env, each call
// bounded by timeout (0: the default), and wires env to it as
// workflow.OpenDrill does: triggers and read-back through the session,
// the gate the check step.
func openDrillSession(ctx context.Context, cfg *config.Config, env *vsphereenv.Env, timeout time.Duration) (*vsphere.Session, error) {
	var opts []vsphere.OpenOption
	if timeout > 0 {
		opts = append(opts, vsphere.WithCallTimeout(timeout))
	}
	s, err := vsphere.Open(ctx, cfg.VSphere, opts...)
	if err != nil {
		return nil, err
	}
	env.Ops, env.State = s, s
	env.CheckGate = func(ctx context.Context, _ failover.Network) (string, error) {
		return workflow.Gate(ctx, s, cfg, false)
	}
	return s, nil
}

// runWalkDrill drills router-002 on intranought with trigger, witnessed by
// a walkSegment, as carpvm drill --config does (workflow.DrillPair: the
// pair's lock, a journal left behind restored first, the journal), and
// returns the exit and output the command would.
func runWalkDrill(t *testing.T, s *fixSim, d drillDir, trigger failover.Trigger, timeout time.Duration) runResult {
	t.Helper()
	return drillOnce(t, s, d, trigger, timeout, nil)
}

// drillOnce is runWalkDrill with the drill's journal hook
// (failover.Options.OnJournal).
func drillOnce(t *testing.T, s *fixSim, d drillDir, trigger failover.Trigger, timeout time.Duration, onJournal func(string)) runResult {
	t.Helper()
	ctx := context.Background()
	cfg := d.config(t)
	env := &vsphereenv.Env{Config: cfg, URL: workflow.PrintableTarget("", cfg, false)}
	var out, errOut bytes.Buffer
	exit := func(err error) runResult {
		code, print := exitCodeOf(err)
		if print {
			fmt.Fprintf(&errOut, "carpvm: %v\n", err)
		}
		return runResult{code: code, stdout: out.String(), stderr: errOut.String()}
	}
	sess, err := openDrillSession(ctx, cfg, env, timeout)
	if err != nil {
		return exit(fmt.Errorf("drill: %w", &workflow.BackendError{Step: "connect", Err: err})) // as workflow.OpenDrill returns it
	}
	defer func() { _ = sess.Close(ctx) }()
	nets, err := env.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	n := walkNetwork(nets[0])
	cn, _ := cfg.Network(n.Name)
	seg := startWalkSegment(t, s.srv, env, n, cn.Portgroup)
	defer seg.close()
	env.OpenObserver = seg.observe
	// The deadline only bounds a wait that ends as soon as the segment has
	// settled: generous, so that a segment starved of CPU on a busy machine
	// does not fail the clean run (a stun's return read as a split brain).
	fopts := failover.Options{Env: env, Trigger: trigger, Networks: []failover.Network{n}, Force: true,
		Settle: 20 * time.Millisecond, Deadline: 10 * time.Second, Stun: 200 * time.Millisecond,
		JournalDir: d.history, JournalRestore: d.restoreCommand(), OnJournal: onJournal}
	progress := func(format string, args ...any) { fmt.Fprintf(&errOut, format+"\n", args...) }
	reps, runErr := workflow.DrillPair(ctx, fopts, workflow.DrillPairOptions{LockDir: d.locks, Progress: progress})
	if len(reps) > 0 {
		if err := failover.WriteTable(&out, table.Terminal{}, reps); err != nil {
			t.Fatal(err)
		}
	}
	return exit(drillVerdict(runErr, reps))
}

// runWalkRestore is carpvm drill restore of d's pair (workflow.RestoreDrill),
// each call bounded by timeout.
func runWalkRestore(t *testing.T, s *fixSim, d drillDir, _ failover.Trigger, timeout time.Duration) runResult {
	t.Helper()
	ctx := context.Background()
	cfg := d.config(t)
	env := &vsphereenv.Env{Config: cfg, URL: workflow.PrintableTarget("", cfg, false), NoWitness: true}
	opts := workflow.DrillRestoreOptions{LockDir: d.locks, JournalDir: d.history, Connect: func(ctx context.Context) (func(), error) {
		sess, err := openDrillSession(ctx, cfg, env, timeout)
		if err != nil {
			return nil, err
		}
		return func() { _ = sess.Close(ctx) }, nil
	}}
	r, err := workflow.RestoreDrill(ctx, env, opts)
	res := runResult{}
	if err == nil {
		res.stdout = r.String() + "\n"
	}
	code, print := exitCodeOf(err)
	res.code = code
	if print {
		res.stderr = fmt.Sprintf("carpvm: %v\n", err)
	}
	return res
}

// killedAt leaves the journal of a drill of trigger killed at phase: the
// hook stops the drill there (a panic, recovered here), as a SIGKILL
// would, with nothing deferred in the drill run.
func killedAt(trigger failover.Trigger, phase string) func(t *testing.T, s *fixSim, d drillDir) {
	return func(t *testing.T, s *fixSim, d drillDir) {
		t.Helper()
		func() {
			defer func() {
				if r := recover(); r != nil && r != errKilled {
					panic(r)
				}
			}()
			drillOnce(t, s, d, trigger, 0, func(p string) {
				if p == phase {
					panic(errKilled)
				}
			})
		}()
		if d.journal(t) == nil {
			t.Fatalf("no journal after a drill killed at %s", phase)
		}
	}
}

// errKilled is the panic killedAt's hook stops a drill with.
var errKilled = fmt.Errorf("killed")

// drillWalkWorkers is how many cases of a drill's walk run at once: a
// drill mostly waits on the segment's timers.
const drillWalkWorkers = 4

// walkDrill runs wf clean, then once per (call, fault) case.
func walkDrill(t *testing.T, wf drillWalk) walkStats {
	t.Helper()
	var st walkStats
	clean := startFixSim(t, sim.Default())
	d := newDrillDir(t, clean)
	original := inventory(t, clean) // before the drill a restore finishes
	if wf.prepare != nil {
		wf.prepare(t, clean, d)
	}
	clean.srv.ClearFault()
	r := wf.run(t, clean, d, wf.trigger, 0)
	calls := clean.srv.Calls()
	if r.code != exitOK {
		// A clean drill on the segment passes: a verdict that fails there
		// is a defect of its own, not a fault's.
		t.Fatalf("%s: clean run: exit %d\n%s%s", wf.name, r.code, r.stdout, r.stderr)
	}
	if diff := sim.DiffState(original, inventory(t, clean)); len(diff) > 0 {
		t.Fatalf("%s: the clean run did not restore:\n%s", wf.name, strings.Join(diff, "\n"))
	}
	if writes := writeCalls(calls); len(writes) == 0 {
		t.Fatalf("%s: the clean run wrote %v: the walk would prove nothing", wf.name, writes)
	}
	t.Logf("%s: clean run: exit %d, %d calls, writes %v", wf.name, r.code, len(calls), writeCalls(calls))
	start := time.Now()
	st = runWalkCases(t, walkCases(calls), drillWalkWorkers, func(c walkCaseSpec) string {
		return fmt.Sprintf("call%02d-%s/%s", c.call, calls[c.call-1], c.fault)
	}, func(t *testing.T, c walkCaseSpec, name string) string {
		return walkDrillCase(t, wf, wf.name+"/"+name, c, calls[c.call-1], original, writeCalls(calls))
	})
	t.Logf("%s: %d cases (%d unchanged, %d done, %d recorded) in %s", wf.name, st.cases, st.unchanged, st.done, st.recorded, time.Since(start).Round(time.Millisecond))
	return st
}

// walkDrillCase runs one case and returns its outcome: unchanged (the
// trigger never took effect), done (triggered and restored), recorded.
func walkDrillCase(t *testing.T, wf drillWalk, name string, c walkCaseSpec, method string, original map[string]string, cleanWrites []string) string {
	t.Helper()
	s := startFixSim(t, sim.Default())
	defer s.srv.Close()
	d := newDrillDir(t, s)
	if wf.prepare != nil {
		wf.prepare(t, s, d)
	}
	if err := s.srv.InjectFault(sim.FaultPlan{Call: c.call, Kind: c.fault.kind, Fault: c.fault.fault}); err != nil {
		t.Fatal(err)
	}
	timeout := time.Duration(0)
	if c.fault.kind == sim.FaultTimeout {
		timeout = walkCallTimeout
	}
	r := wf.run(t, s, d, wf.trigger, timeout)
	calls := s.srv.Calls()
	fired := len(calls) >= c.call
	s.srv.ClearFault() // vCenter is back
	if !fired {
		t.Logf("%s: the run made fewer than %d calls; nothing injected", name, c.call)
		return "skipped"
	}
	outcome := drillPromise(t, name, s, d, r, calls, original)
	// The verdict hangs on the segment's timing too: a session that
	// expired must not stop the drill, which triggers and restores as the
	// clean run did.
	if c.fault.kind == sim.FaultSessionExpired && (outcome == "done" || outcome == "unchanged") &&
		(r.code != exitOK && r.code != exitCheckFailed || !equalWrites(writeCalls(calls), cleanWrites)) {
		walkReport(t, name, r)("the session expired at call %d (%s): want the run to log in again and write as the clean run did (%v), got %v", c.call, method, cleanWrites, writeCalls(calls))
	}
	return outcome
}

// walkReport reports a broken promise of case name, with run r's exit and
// output.
func walkReport(t *testing.T, name string, r runResult) func(format string, args ...any) {
	return func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: "+format+"\nexit %d\nstdout:\n%s\nstderr:\n%s", append(append([]any{name}, args...), r.code, r.stdout, r.stderr)...)
	}
}

// drillPromise checks the promise of a drill (or drill restore) run r on
// s that made calls, vCenter back, against the inventory before the drill,
// and returns the outcome: unchanged (nothing written), done (triggered,
// or tried to, and restored), recorded (the journal kept, exit 3 naming
// each object's state and the restore command, which then restores
// exactly and removes the journal); "" when the promise broke.
func drillPromise(t *testing.T, name string, s *fixSim, d drillDir, r runResult, calls []string, original map[string]string) string {
	t.Helper()
	report := walkReport(t, name, r)
	now := inventory(t, s)
	j := d.journal(t)
	if len(sim.DiffState(original, now)) == 0 && j == nil {
		if len(writeCalls(calls)) > 0 {
			return "done" // triggered (or tried to), and restored
		}
		return "unchanged"
	}
	// Neither restored nor untouched, or a journal left: recorded.
	if r.code != exitVSphere {
		report("left %s, yet exit %d: want %d (vCenter unreachable); against the inventory before:\n%s", journalWords(j), r.code, exitVSphere, strings.Join(sim.DiffState(original, now), "\n"))
		return ""
	}
	if j == nil {
		report("the inventory differs and no journal is kept:\n%s", strings.Join(sim.DiffState(original, now), "\n"))
		return ""
	}
	cmd := j.RestoreCommand
	if cmd != d.restoreCommand() || !strings.Contains(r.stderr, cmd) {
		report("recorded, but the message does not name %q (the journal names %q)", d.restoreCommand(), cmd)
		return ""
	}
	for _, o := range j.Objects {
		if !strings.Contains(r.stderr, o.Object+" (before: "+o.Original) {
			report("recorded, but the message does not name %s's state before", o.Object)
			return ""
		}
	}
	if testing.Verbose() {
		t.Logf("%s: recorded:\n%s", name, r.stderr)
	}
	code, stdout, stderr := runDrillCLI(t, d.env, "drill", "restore", "--config", d.cfg, "--history", d.history)
	if code != exitOK {
		report("the restore the message names failed (exit %d):\n%s%s", code, stdout, stderr)
		return ""
	}
	if diff := sim.DiffState(original, inventory(t, s)); len(diff) > 0 {
		report("after the restore the inventory is not as before the drill:\n%s", strings.Join(diff, "\n"))
		return ""
	}
	if j := d.journal(t); j != nil {
		report("the restore left the journal: %+v", j)
		return ""
	}
	return "recorded"
}

func journalWords(j *failover.Journal) string {
	if j == nil {
		return "the inventory changed"
	}
	return "its journal"
}

// writeCalls are the calls of calls that may change the inventory.
func writeCalls(calls []string) []string {
	var out []string
	for _, m := range calls {
		if !isReadMethod(m) {
			out = append(out, m)
		}
	}
	return out
}

// equalWrites says whether two runs made the same writes, in order: a
// write refused NotAuthenticated and sent again after the re-login is one.
func equalWrites(a, b []string) bool {
	return strings.Join(slices.Compact(a), " ") == strings.Join(slices.Compact(b), " ")
}

// drillTriggers are the triggers a vSphere drill acts with.
var drillTriggers = []failover.Trigger{failover.TriggerPowerOff, failover.TriggerLinkDown, failover.TriggerStun}

// TestFaultWalkDrill walks a witnessed vSphere drill of each trigger
// (power-off, link-down, stun) through every call and fault.
func TestFaultWalkDrill(t *testing.T) {
	t.Parallel() // its own simulators, directories and segments
	for _, trigger := range drillTriggers {
		t.Run(string(trigger), func(t *testing.T) {
			walkDrill(t, drillWalk{name: "drill-" + string(trigger), trigger: trigger, run: runWalkDrill})
		})
	}
}

// TestFaultWalkDrillRestore walks drill restore of the journal a drill of
// each trigger left when killed with its trigger in effect.
func TestFaultWalkDrillRestore(t *testing.T) {
	t.Parallel() // its own simulators and directories
	for _, trigger := range drillTriggers {
		t.Run(string(trigger), func(t *testing.T) {
			walkDrill(t, drillWalk{name: "drill-restore-" + string(trigger), trigger: trigger,
				prepare: killedAt(trigger, failover.JournalTriggered), run: runWalkRestore})
		})
	}
}
