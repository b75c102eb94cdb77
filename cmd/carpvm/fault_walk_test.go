package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/sim"
	"github.com/carpvm/carpvm/workflow"
)

// The fault walk (docs/architecture.md, "Safety promises"): a writing
// workflow's clean run is recorded call by call; then, for every call N
// and every fault kind, the workflow runs again on a fresh simulator that
// fails call N, and the inventory, re-read past the fault, must be
// unchanged, done, or recorded (a backup, named in the message with the
// rollback command, that restores the original exactly once vCenter is
// back).

// walkCallTimeout bounds each call of a run that meets a FaultTimeout;
// other runs keep the default.
const walkCallTimeout = 300 * time.Millisecond

// walkFault is one fault a walk injects at each call.
type walkFault struct {
	kind  sim.FaultKind
	fault string
}

func (f walkFault) String() string {
	if f.fault != "" {
		return string(f.kind) + "/" + f.fault
	}
	return string(f.kind)
}

// walkFaults is every fault kind, each SOAP fault on its own.
func walkFaults() []walkFault {
	var out []walkFault
	for _, k := range sim.FaultKinds() {
		switch k {
		case sim.FaultSOAP:
			for _, f := range sim.SOAPFaults() {
				out = append(out, walkFault{k, f})
			}
		case sim.FaultTaskError:
			out = append(out, walkFault{k, "HostCommunication"})
		default:
			out = append(out, walkFault{kind: k})
		}
	}
	return out
}

// readMethods change nothing in the inventory: at such a call a fault
// kind is what the client sees (an error, a lost session, vCenter gone),
// since there is no write to apply or lose.
var readMethods = []string{"RetrieveServiceContent", "Login", "Logout", "RetrieveProperties", "RetrievePropertiesEx",
	"CreateContainerView", "DestroyView", "CreatePropertyCollector", "DestroyPropertyCollector", "CreateFilter",
	"DestroyPropertyFilter", "WaitForUpdatesEx", "FetchUserPrivilegeOnEntities", "HasPrivilegeOnEntities"}

// fullWalk is set by CARPVM_FAULT_WALK=full (make faultwalk): every
// kind at every call. Otherwise a read call meets one kind of each class
// the client can tell apart (a SOAP fault, a dropped connection, vCenter
// gone, a lost session): at a read, a dropped answer, a timeout and the
// other SOAP faults leave the inventory as these do.
var fullWalk = os.Getenv("CARPVM_FAULT_WALK") == "full"

// isReadMethod says whether method changes nothing in the inventory.
func isReadMethod(method string) bool { return slices.Contains(readMethods, method) }

// applies says whether fault f means something at a call of method.
func (f walkFault) applies(method string) bool {
	if !fullWalk && isReadMethod(method) {
		switch f.kind {
		case sim.FaultSOAP:
			return f.fault == "SystemError"
		case sim.FaultDropBefore, sim.FaultDown, sim.FaultSessionExpired:
		default:
			return false
		}
	}
	switch f.kind {
	case sim.FaultTaskError:
		return strings.HasSuffix(method, "_Task")
	case sim.FaultSessionExpired:
		return !strings.HasPrefix(method, "Login") && method != "RetrieveServiceContent"
	}
	return true
}

// walkCaseSpec is one case of a walk: the call (1-based) that fails, and how.
type walkCaseSpec struct {
	call  int
	fault walkFault
}

// walkCases are the cases a walk runs on a clean run's calls. Under
// CARPVM_FAULT_WALK=full: every fault that applies at every call. By
// default a deterministic sample that still breaks every call and meets
// every kind: each call with one fault, rotating through those that apply
// to it, and every fault at the first, the middle and the last write.
func walkCases(calls []string) []walkCaseSpec {
	var out []walkCaseSpec
	var writes []int
	for i, m := range calls {
		if !isReadMethod(m) {
			writes = append(writes, i)
		}
	}
	every := map[int]bool{}
	if len(writes) > 0 {
		every[writes[0]], every[writes[len(writes)/2]], every[writes[len(writes)-1]] = true, true, true
	}
	rotation := 0
	for i, m := range calls {
		var apply []walkFault
		for _, f := range walkFaults() {
			if f.applies(m) {
				apply = append(apply, f)
			}
		}
		if len(apply) == 0 {
			continue
		}
		if !fullWalk && !every[i] {
			apply = []walkFault{apply[rotation%len(apply)]}
			rotation++
		}
		for _, f := range apply {
			out = append(out, walkCaseSpec{call: i + 1, fault: f})
		}
	}
	return out
}

// walkRun is one run of a workflow against s: its exit, output, and the
// backup it may have written.
type walkRun struct {
	runResult
	backup string
}

// walkWorkflow is a writing workflow the walk breaks.
type walkWorkflow struct {
	name     string
	topology func() sim.Topology
	// prepare readies a fresh simulator before the run measured (e.g. a
	// fix applied, for a rollback); nil for none.
	prepare func(t *testing.T, s *fixSim, dir string) string
	run     func(t *testing.T, s *fixSim, dir, prepared string, timeout time.Duration) walkRun
	// recordedEndsDone: running the rollback a recorded run names ends in
	// the clean run's end state (a rollback finished), not in the state
	// before the run (a fix undone).
	recordedEndsDone bool
}

// connectWithTimeout logs in to s with each call bounded by timeout (0:
// the default).
func (s *fixSim) connectWithTimeout(timeout time.Duration) connectFunc {
	return func(ctx context.Context, cfg *config.Config, _ string, _ func(string, ...any)) (workflow.Backend, error) {
		if timeout > 0 {
			return vsphere.Open(ctx, cfg.VSphere, vsphere.WithCallTimeout(timeout))
		}
		return vsphere.Open(ctx, cfg.VSphere)
	}
}

// walkFix is preflight --fix --yes with flags.
func walkFix(flags fixFlags) func(t *testing.T, s *fixSim, dir, _ string, timeout time.Duration) walkRun {
	return func(t *testing.T, s *fixSim, dir, _ string, timeout time.Duration) walkRun {
		backup := filepath.Join(dir, "backup.json")
		flags.Yes, flags.Backup = true, backup
		o := fixOptions{Getenv: stateEnv(dir), fixFlags: flags, Connect: s.connectWithTimeout(timeout)}
		r := runFix(t, s, o)
		return walkRun{runResult: r.runResult, backup: backup}
	}
}

// rollbackEnv is the environment a rollback runs in: dir's state and the
// simulator's credentials only.
func rollbackEnv(s *fixSim, dir string) map[string]string {
	return map[string]string{"XDG_STATE_HOME": dir, "GOVC_USERNAME": s.srv.Username, "GOVC_PASSWORD": s.srv.Password.Reveal()}
}

func inventory(t *testing.T, s *fixSim) map[string]string {
	t.Helper()
	inv, err := s.srv.ReadState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// walkStats counts a walk's cases by outcome.
type walkStats struct {
	cases                     int
	unchanged, done, recorded int
}

// count adds one case of outcome ("unchanged", "done" or "recorded"); any
// other outcome is a case that injected nothing, and is not counted.
func (st *walkStats) count(outcome string) {
	switch outcome {
	case "unchanged":
		st.unchanged++
	case "done":
		st.done++
	case "recorded":
		st.recorded++
	default:
		return
	}
	st.cases++
}

// walk runs wf clean, then once per (call, fault), asserting the promise.
func walk(t *testing.T, wf walkWorkflow) walkStats {
	t.Helper()
	var st walkStats
	clean := startFixSim(t, wf.topology())
	dir := t.TempDir()
	prepared := ""
	if wf.prepare != nil {
		prepared = wf.prepare(t, clean, dir)
	}
	original := inventory(t, clean)
	clean.srv.ClearFault()
	r := wf.run(t, clean, dir, prepared, 0)
	calls := clean.srv.Calls()
	final := inventory(t, clean)
	if len(sim.DiffState(original, final)) == 0 {
		t.Fatalf("%s: the clean run changed nothing (exit %d): the walk would prove nothing\n%s", wf.name, r.code, r.stderr)
	}
	cleanCode := r.code
	t.Logf("%s: clean run: exit %d, %d calls", wf.name, cleanCode, len(calls))
	start := time.Now()
	st = runWalkCases(t, walkCases(calls), fixWalkWorkers, func(c walkCaseSpec) string {
		return fmt.Sprintf("call%02d-%s/%s", c.call, calls[c.call-1], c.fault)
	}, func(t *testing.T, c walkCaseSpec, name string) string {
		method := calls[c.call-1]
		return walkCase(t, wf, wf.name+"/"+name, c.call, method, c.fault, original, final, cleanCode)
	})
	t.Logf("%s: %d cases (%d unchanged, %d done, %d recorded) in %s", wf.name, st.cases, st.unchanged, st.done, st.recorded, time.Since(start).Round(time.Millisecond))
	return st
}

// fixWalkWorkers is how many cases of a --fix or rollback walk run at
// once: each has its own simulator and state directory.
const fixWalkWorkers = 2

// runWalkCases runs each case as a subtest, workers at once (subtests run
// from several goroutines: a case's Fatal ends its own), and counts the
// outcomes. Once a case failed no new one starts: one broken case is
// enough to read.
func runWalkCases[C any](t *testing.T, cases []C, workers int, name func(C) string, run func(t *testing.T, c C, name string) string) walkStats {
	t.Helper()
	var st walkStats
	var mu sync.Mutex
	todo := make(chan C)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range todo {
				t.Run(name(c), func(t *testing.T) {
					outcome := run(t, c, name(c))
					mu.Lock()
					defer mu.Unlock()
					st.count(outcome)
				})
			}
		}()
	}
	for _, c := range cases {
		if t.Failed() {
			break
		}
		todo <- c
	}
	close(todo)
	wg.Wait()
	return st
}

// walkCase runs one case and returns its outcome.
func walkCase(t *testing.T, wf walkWorkflow, name string, call int, method string, f walkFault, original, final map[string]string, cleanCode int) string {
	t.Helper()
	s := startFixSim(t, wf.topology())
	defer s.srv.Close()
	dir := t.TempDir()
	prepared := ""
	if wf.prepare != nil {
		prepared = wf.prepare(t, s, dir)
	}
	if err := s.srv.InjectFault(sim.FaultPlan{Call: call, Kind: f.kind, Fault: f.fault}); err != nil {
		t.Fatal(err)
	}
	timeout := time.Duration(0)
	if f.kind == sim.FaultTimeout {
		timeout = walkCallTimeout
	}
	r := wf.run(t, s, dir, prepared, timeout)
	fired := len(s.srv.Calls()) >= call
	s.srv.ClearFault() // vCenter is back
	if !fired {
		// A task's wait takes one call or two (an update while it runs):
		// the clean run's last calls may be past this run's end.
		t.Logf("%s: the run made fewer than %d calls; nothing injected", name, call)
		return "skipped"
	}
	return fixPromise(t, name, s, dir, r, original, final, cleanCode, f.kind == sim.FaultSessionExpired, wf.recordedEndsDone)
}

// fixPromise checks the promise of a --fix or rollback run r on s (vCenter
// back) against the inventory before it (original) and after a clean run
// (final), and returns the outcome: done, unchanged or recorded (the
// rollback the message names then run, and checked).
func fixPromise(t *testing.T, name string, s *fixSim, dir string, r walkRun, original, final map[string]string, cleanCode int, sessionExpired, recordedEndsDone bool) string {
	t.Helper()
	now := inventory(t, s)
	report := func(format string, args ...any) {
		t.Errorf("%s: "+format+"\nexit %d\nstdout:\n%s\nstderr:\n%s", append(append([]any{name}, args...), r.code, r.stdout, r.stderr)...)
	}
	switch {
	case len(sim.DiffState(final, now)) == 0:
		if sessionExpired && r.code != cleanCode {
			report("the session expired: want the run to log in again and end as the clean run (exit %d)", cleanCode)
		}
		if r.code != cleanCode && r.code != exitVSphere {
			report("done, but exit %d: want %d as the clean run, or %d", r.code, cleanCode, exitVSphere)
		}
		return "done"
	case len(sim.DiffState(original, now)) == 0:
		if r.code == exitOK || r.code == exitCheckFailed {
			report("nothing applied, yet exit %d", r.code)
		}
		if sessionExpired {
			report("the session expired: want the run to log in again and finish, not give up")
		}
		return "unchanged"
	}
	// Neither done nor undone: it must be recorded.
	diff := sim.DiffState(original, now)
	if r.code == exitOK || r.code == exitCheckFailed {
		report("a plan neither done nor undone exited %d; against the clean run's end:\n%s", r.code, strings.Join(sim.DiffState(final, now), "\n"))
		return ""
	}
	cmd := "carpvm preflight rollback " + r.backup
	if !strings.Contains(r.stderr, cmd) {
		report("half done, and the message does not say %q:\n%s", cmd, strings.Join(diff, "\n"))
		return ""
	}
	bf, err := os.Open(r.backup)
	if err != nil {
		report("half done, and the backup is missing: %v", err)
		return ""
	}
	b, err := change.DecodeBackup(bf)
	bf.Close()
	if err != nil {
		report("half done, and the backup does not decode: %v", err)
		return ""
	}
	for _, o := range b.Objects {
		if !strings.Contains(r.stderr, "\n  "+o.Target.String()+": ") {
			report("half done, and the message does not name the state of %s", o.Target)
			return ""
		}
	}
	if testing.Verbose() {
		t.Logf("%s: recorded:\n%s", name, r.stderr)
	}
	rb := runCarpvm(rollbackEnv(s, dir), "preflight", "rollback", r.backup)
	if rb.code != exitOK {
		report("the rollback the message names failed (exit %d):\n%s%s", rb.code, rb.stdout, rb.stderr)
		return ""
	}
	want := original
	if recordedEndsDone {
		want = final
	}
	if d := sim.DiffState(want, inventory(t, s)); len(d) > 0 {
		report("after the rollback the inventory is not what it should be:\n%s", strings.Join(d, "\n"))
		return ""
	}
	return "recorded"
}

// TestFaultWalkFix walks preflight --fix (the default pair: portgroup
// security and host options) through every call and fault.
func TestFaultWalkFix(t *testing.T) {
	t.Parallel() // its own simulators and state directories
	walk(t, walkWorkflow{name: "fix", topology: sim.Default, run: walkFix(fixFlags{})})
}

// TestFaultWalkFixEveryStep walks preflight --fix --relocate --set-vmac
// on a plan with a step of every standard kind: host options, a
// promiscuous toggle, portgroup security, a DRS rule, a relocation and NIC
// MACs.
func TestFaultWalkFixEveryStep(t *testing.T) {
	t.Parallel() // its own simulators and state directories
	walk(t, walkWorkflow{name: "fix-relocate", topology: sim.EveryStep, run: walkFix(fixFlags{Relocate: true, SetVMAC: true})})
}

// fixForRollback applies the fix of flags on s and returns its backup.
func fixForRollback(flags fixFlags) func(t *testing.T, s *fixSim, dir string) string {
	return func(t *testing.T, s *fixSim, dir string) string {
		t.Helper()
		backup := filepath.Join(dir, "fixed.json")
		flags.Yes, flags.Backup = true, backup
		if r := runFix(t, s, fixOptions{Getenv: stateEnv(dir), fixFlags: flags}); !r.doc.Applied {
			t.Fatalf("fix not applied (exit %d):\n%s", r.code, r.stderr)
		}
		return backup
	}
}

// walkRollback is preflight rollback of the prepared backup.
func walkRollback(t *testing.T, s *fixSim, dir, backup string, timeout time.Duration) walkRun {
	t.Helper()
	r := runRollbackWith(t, rollbackEnv(s, dir), s.connectWithTimeout(timeout), "preflight", "rollback", backup)
	return walkRun{runResult: r, backup: backup}
}

// TestFaultWalkRollback walks preflight rollback of a --fix --relocate
// --set-vmac backup (every kind of step) through every call and fault.
func TestFaultWalkRollback(t *testing.T) {
	t.Parallel() // its own simulators and state directories
	walk(t, walkWorkflow{name: "rollback", topology: sim.EveryStep, prepare: fixForRollback(fixFlags{Relocate: true, SetVMAC: true}),
		run: walkRollback, recordedEndsDone: true})
}
