package failover

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// powerState reads sim.Router1's power state.
func powerState(t *testing.T, s *vsphere.Session) string {
	t.Helper()
	ps, err := s.PowerState(context.Background(), sim.Router1)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// A drill journals before its trigger: at each journal phase the file
// holds that phase, the pair, the target and the VM's state before; it is
// removed once the undo was read back, never before.
func TestDrillJournalsEachPhaseAndRemovesItOnceUndone(t *testing.T) {
	s, env := unwitnessedEnv(t)
	nets, err := env.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var phases []string
	hook := func(phase string) {
		phases = append(phases, phase)
		j, err := ReadJournal(dir, env.Pair())
		if err != nil || j == nil {
			t.Fatalf("%s: journal %v, %v", phase, j, err)
		}
		want := phase
		if phase == JournalUndone {
			want = JournalRestoring // removed right after
		}
		if j.Phase != want || j.Target != "simulator" || j.Router != "router-002" || j.Trigger != "power-off" || j.RestoreCommand != "carpvm drill restore --sim" ||
			len(j.Objects) != 1 || j.Objects[0].Original != "VM router-002 is poweredOn" || j.PID != os.Getpid() {
			t.Errorf("%s: journal %+v", phase, j)
		}
		wantPower := map[string]string{JournalJournaled: "poweredOn", JournalTriggered: "poweredOff", JournalRestoring: "poweredOff", JournalUndone: "poweredOn"}[phase]
		if got := powerState(t, s); got != wantPower {
			t.Errorf("%s: VM %s, want %s", phase, got, wantPower)
		}
	}
	reps, err := RunUnwitnessed(context.Background(), Options{Env: env, Trigger: TriggerPowerOff, Networks: nets,
		JournalDir: dir, JournalRestore: "carpvm drill restore --sim", OnJournal: hook})
	if err != nil || !reps[0].Restored {
		t.Fatalf("drill: %v, %+v", err, reps)
	}
	if !slices.Equal(phases, JournalPhases()) {
		t.Errorf("phases %v, want %v", phases, JournalPhases())
	}
	if j, err := ReadJournal(dir, env.Pair()); j != nil || err != nil {
		t.Errorf("journal left after a restored drill: %+v, %v", j, err)
	}
}

// A drill whose undo is refused keeps its journal and ends with a
// *PendingError naming it and the restore command: neither done nor
// undone is never reported as a plain failure.
func TestDrillWhoseUndoFailsKeepsTheJournal(t *testing.T) {
	s, env := unwitnessedEnv(t)
	nets, _ := env.Networks("intranought")
	env.Ops = failingPowerOn{s}
	dir := t.TempDir()
	reps, err := RunUnwitnessed(context.Background(), Options{Env: env, Trigger: TriggerPowerOff, Networks: nets, JournalDir: dir, JournalRestore: "carpvm drill restore --config x.yaml"})
	var pending *PendingError
	if !errors.As(err, &pending) || !strings.Contains(err.Error(), "carpvm drill restore --config x.yaml") || !strings.Contains(err.Error(), "before: VM router-002 is poweredOn") {
		t.Fatalf("drill error %v, want a PendingError naming the restore command and the VM's state before", err)
	}
	if reps[0].Restored || reps[0].Pass {
		t.Errorf("report %+v", reps[0])
	}
	if j, _ := ReadJournal(dir, env.Pair()); j == nil || j.Phase != JournalRestoring {
		t.Fatalf("journal %+v, want kept in phase restoring", j)
	}
	// The restore, with vCenter answering again, powers it on and reads it back.
	env.Ops = s
	r, err := Restore(context.Background(), env, dir, nil)
	if err != nil || !r.WasInEffect || r.After != "VM router-002 is poweredOn" {
		t.Fatalf("restore %+v, %v", r, err)
	}
	if got := powerState(t, s); got != "poweredOn" {
		t.Errorf("VM %s after the restore", got)
	}
	if j, _ := ReadJournal(dir, env.Pair()); j != nil {
		t.Error("journal left after the restore")
	}
	// Nothing left: nothing to restore, and it says so.
	if r, err := Restore(context.Background(), env, dir, nil); err != nil || r.Journal != nil || !strings.Contains(r.String(), "nothing to restore") {
		t.Errorf("second restore %+v, %v", r, err)
	}
}

// TestRestoreReReadsFirst: a journal whose effect is no longer in place
// (the VM was powered on by hand) is removed without sending anything;
// one of another target is refused without touching anything; one whose
// undo is answered but not done is kept, as *StillInEffectError.
func TestRestoreReReadsFirst(t *testing.T) {
	ctx := context.Background()
	s, env := unwitnessedEnv(t)
	nets, _ := env.Networks("intranought")
	dir := t.TempDir()
	leave := func() {
		t.Helper()
		env.Ops = failingPowerOn{s}
		if _, err := RunUnwitnessed(ctx, Options{Env: env, Trigger: TriggerPowerOff, Networks: nets, JournalDir: dir}); err == nil {
			t.Fatal("no journal left")
		}
	}

	leave()
	if err := s.PowerOn(ctx, sim.Router1); err != nil {
		t.Fatal(err)
	}
	w := &watchOps{VSphereOps: s}
	env.Ops = w
	r, err := Restore(ctx, env, dir, nil)
	if err != nil || r.WasInEffect || len(w.calls) != 0 || !strings.Contains(r.String(), "nothing to undo") {
		t.Errorf("restore of an effect undone by hand: %+v, %v, calls %v; want nothing sent", r, err, w.calls)
	}
	if j, _ := ReadJournal(dir, env.Pair()); j != nil {
		t.Error("journal kept")
	}

	leave()
	other := *env
	other.URL = "https://vcenter.example/sdk"
	other.Ops = w
	var ote *OtherTargetError
	if _, err := Restore(ctx, &other, dir, nil); !errors.As(err, &ote) || len(w.calls) != 0 || !strings.Contains(err.Error(), "simulator") {
		t.Errorf("restore against another target: %v, calls %v", err, w.calls)
	}

	env.Ops = ignoredPowerOn{s}
	var still *StillInEffectError
	if _, err := Restore(ctx, env, dir, nil); !errors.As(err, &still) || !strings.Contains(err.Error(), "poweredOff") {
		t.Errorf("restore whose undo did nothing: %v", err)
	}
	if j, _ := ReadJournal(dir, env.Pair()); j == nil {
		t.Error("journal removed though the VM is still off")
	}
}

// A damaged journal is an error naming the file, never "nothing to
// restore".
func TestDamagedJournalIsAnError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(JournalPath(dir, "p"), []byte(`{"format":"carpvm.drill-journal/v1","pair":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if j, err := ReadJournal(dir, "p"); err == nil || !strings.Contains(err.Error(), JournalPath(dir, "p")) {
		t.Errorf("damaged journal: %+v, %v", j, err)
	}
}

// A stun's journal left behind (the drill killed while the memory
// snapshot stood) is restored by removing the snapshot, read back first
// and after.
func TestRestoreRemovesALeftStunSnapshot(t *testing.T) {
	ctx := context.Background()
	s, env := unwitnessedEnv(t)
	dir := t.TempDir()
	if err := s.SnapshotMemory(ctx, sim.Router1, StunSnapshot); err != nil {
		t.Fatal(err)
	}
	j := &Journal{Target: env.Target(), Pair: env.Pair(), Trigger: string(TriggerStun), Action: string(TriggerStun), Network: "intranought", VHID: 1,
		Router: "router-002", Phase: JournalTriggered, Objects: []JournalObject{{Object: "snapshot", Original: "none", Undo: "remove it"}}}
	if err := j.write(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := Restore(ctx, env, dir, nil)
	if err != nil || !r.WasInEffect || !strings.Contains(r.Before, "has snapshot") || !strings.Contains(r.After, "has no snapshot") {
		t.Fatalf("restore %+v, %v", r, err)
	}
	if has, err := s.HasSnapshot(ctx, sim.Router1, StunSnapshot); err != nil || has {
		t.Errorf("snapshot left: %v, %v", has, err)
	}
}

// readingEnv is the fake world's Env reading its trigger back: in effect
// while the failed router is down. undoErr makes every Undo fail (vCenter
// gone during the restore).
type readingEnv struct {
	*fakeEnv
	undoErr error
}

func (e *readingEnv) Reads(Trigger) bool                           { return true }
func (e *readingEnv) Object(_ Trigger, _ Network, r string) string { return "router " + r }
func (e *readingEnv) Effect(_ context.Context, _ Trigger, _ Network, router string) (bool, string, error) {
	e.w.mu.Lock()
	defer e.w.mu.Unlock()
	return !e.w.alive[router], "alive=" + strconv.FormatBool(e.w.alive[router]), nil
}
func (e *readingEnv) Undo(ctx context.Context, t Trigger, n Network, router string) error {
	if e.undoErr != nil {
		return e.undoErr
	}
	return e.fakeEnv.Undo(ctx, t, n, router)
}

// A witnessed drill interrupted (Ctrl-C, SIGTERM) whose restore then
// cannot reach the target ends with the *PendingError naming the journal,
// not with "interrupted": neither done nor undone is never exit 1.
func TestInterruptedDrillWhoseRestoreFailsIsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		w.never = true
		ctx, cancel := context.WithCancel(context.Background())
		env := &readingEnv{fakeEnv: &fakeEnv{w: w, onTrig: func() { time.AfterFunc(100*time.Millisecond, cancel) }}, undoErr: errors.New("vCenter gone")}
		dir := t.TempDir()
		_, err := Run(ctx, Options{Env: env, Trigger: TriggerPowerOff, Networks: []Network{fastNet()}, Deadline: time.Minute, JournalDir: dir, JournalRestore: "carpvm drill restore --lab"})
		var pending *PendingError
		if !errors.As(err, &pending) || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "carpvm drill restore --lab") {
			t.Fatalf("Run = %v, want a PendingError naming the restore", err)
		}
		if j, _ := ReadJournal(dir, env.Pair()); j == nil {
			t.Fatal("journal removed")
		}
		env.undoErr = nil
		if r, err := Restore(context.Background(), env, dir, nil); err != nil || !r.WasInEffect || r.After != "alive=true" {
			t.Errorf("restore %+v, %v", r, err)
		}
	})
}
