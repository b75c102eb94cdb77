package failover_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/vsphereenv"
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
		j, err := failover.ReadJournal(dir, env.Pair())
		if err != nil || j == nil {
			t.Fatalf("%s: journal %v, %v", phase, j, err)
		}
		want := phase
		if phase == failover.JournalUndone {
			want = failover.JournalRestoring // removed right after
		}
		if j.Phase != want || j.Target != "simulator" || j.Router != "router-002" || j.Trigger != "power-off" || j.RestoreCommand != "carpvm drill restore --sim" ||
			len(j.Objects) != 1 || j.Objects[0].Original != "VM router-002 is poweredOn" || j.PID != os.Getpid() {
			t.Errorf("%s: journal %+v", phase, j)
		}
		wantPower := map[string]string{failover.JournalJournaled: "poweredOn", failover.JournalTriggered: "poweredOff", failover.JournalRestoring: "poweredOff", failover.JournalUndone: "poweredOn"}[phase]
		if got := powerState(t, s); got != wantPower {
			t.Errorf("%s: VM %s, want %s", phase, got, wantPower)
		}
	}
	reps, err := failover.RunUnwitnessed(context.Background(), failover.Options{Env: env, Trigger: failover.TriggerPowerOff, Networks: nets,
		JournalDir: dir, JournalRestore: "carpvm drill restore --sim", OnJournal: hook})
	if err != nil || !reps[0].Restored {
		t.Fatalf("drill: %v, %+v", err, reps)
	}
	if !slices.Equal(phases, failover.JournalPhases()) {
		t.Errorf("phases %v, want %v", phases, failover.JournalPhases())
	}
	if j, err := failover.ReadJournal(dir, env.Pair()); j != nil || err != nil {
		t.Errorf("journal left after a restored drill: %+v, %v", j, err)
	}
}

// A drill whose undo is refused keeps its journal and ends with a
// *failover.PendingError naming it and the restore command: neither done nor
// undone is never reported as a plain failure.
func TestDrillWhoseUndoFailsKeepsTheJournal(t *testing.T) {
	s, env := unwitnessedEnv(t)
	nets, _ := env.Networks("intranought")
	env.Ops = failingPowerOn{s}
	dir := t.TempDir()
	reps, err := failover.RunUnwitnessed(context.Background(), failover.Options{Env: env, Trigger: failover.TriggerPowerOff, Networks: nets, JournalDir: dir, JournalRestore: "carpvm drill restore --config x.yaml"})
	var pending *failover.PendingError
	if !errors.As(err, &pending) || !strings.Contains(err.Error(), "carpvm drill restore --config x.yaml") || !strings.Contains(err.Error(), "before: VM router-002 is poweredOn") {
		t.Fatalf("drill error %v, want a failover.PendingError naming the restore command and the VM's state before", err)
	}
	if reps[0].Restored || reps[0].Pass {
		t.Errorf("report %+v", reps[0])
	}
	if j, _ := failover.ReadJournal(dir, env.Pair()); j == nil || j.Phase != failover.JournalRestoring {
		t.Fatalf("journal %+v, want kept in phase restoring", j)
	}
	// The restore, with vCenter answering again, powers it on and reads it back.
	env.Ops = s
	r, err := failover.Restore(context.Background(), env, dir)
	if err != nil || !r.WasInEffect || r.After != "VM router-002 is poweredOn" {
		t.Fatalf("restore %+v, %v", r, err)
	}
	if got := powerState(t, s); got != "poweredOn" {
		t.Errorf("VM %s after the restore", got)
	}
	if j, _ := failover.ReadJournal(dir, env.Pair()); j != nil {
		t.Error("journal left after the restore")
	}
	// Nothing left: nothing to restore, and it says so.
	if r, err := failover.Restore(context.Background(), env, dir); err != nil || r.Journal != nil || !strings.Contains(r.String(), "nothing to restore") {
		t.Errorf("second restore %+v, %v", r, err)
	}
}

// TestRestoreReReadsFirst: a journal whose effect is no longer in place
// (the VM was powered on by hand) is removed without sending anything;
// one of another target is refused without touching anything; one whose
// undo is answered but not done is kept, as *failover.StillInEffectError.
func TestRestoreReReadsFirst(t *testing.T) {
	ctx := context.Background()
	s, env := unwitnessedEnv(t)
	nets, _ := env.Networks("intranought")
	dir := t.TempDir()
	leave := func() {
		t.Helper()
		env.Ops = failingPowerOn{s}
		if _, err := failover.RunUnwitnessed(ctx, failover.Options{Env: env, Trigger: failover.TriggerPowerOff, Networks: nets, JournalDir: dir}); err == nil {
			t.Fatal("no journal left")
		}
	}

	leave()
	if err := s.PowerOn(ctx, sim.Router1); err != nil {
		t.Fatal(err)
	}
	w := &watchOps{Ops: s}
	env.Ops = w
	r, err := failover.Restore(ctx, env, dir)
	if err != nil || r.WasInEffect || len(w.calls) != 0 || !strings.Contains(r.String(), "nothing to undo") {
		t.Errorf("restore of an effect undone by hand: %+v, %v, calls %v; want nothing sent", r, err, w.calls)
	}
	if j, _ := failover.ReadJournal(dir, env.Pair()); j != nil {
		t.Error("journal kept")
	}

	leave()
	other := *env
	other.URL = "https://vcenter.example/sdk"
	other.Ops = w
	var ote *failover.OtherTargetError
	if _, err := failover.Restore(ctx, &other, dir); !errors.As(err, &ote) || len(w.calls) != 0 || !strings.Contains(err.Error(), "simulator") {
		t.Errorf("restore against another target: %v, calls %v", err, w.calls)
	}

	env.Ops = ignoredPowerOn{s}
	var still *failover.StillInEffectError
	if _, err := failover.Restore(ctx, env, dir); !errors.As(err, &still) || !strings.Contains(err.Error(), "poweredOff") {
		t.Errorf("restore whose undo did nothing: %v", err)
	}
	if j, _ := failover.ReadJournal(dir, env.Pair()); j == nil {
		t.Error("journal removed though the VM is still off")
	}
}

// A stun's journal left behind (the drill killed while the memory
// snapshot stood) is restored by removing the snapshot, read back first
// and after.
func TestRestoreRemovesALeftStunSnapshot(t *testing.T) {
	ctx := context.Background()
	s, env := unwitnessedEnv(t)
	dir := t.TempDir()
	if err := s.SnapshotMemory(ctx, sim.Router1, vsphereenv.StunSnapshot); err != nil {
		t.Fatal(err)
	}
	j := &failover.Journal{Target: env.Target(), Pair: env.Pair(), Trigger: string(failover.TriggerStun), Action: string(failover.TriggerStun), Network: "intranought", VHID: 1,
		Router: "router-002", Phase: failover.JournalTriggered, Objects: []failover.JournalObject{{Object: "snapshot", Original: "none", Undo: "remove it"}}}
	if err := j.Write(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := failover.Restore(ctx, env, dir)
	if err != nil || !r.WasInEffect || !strings.Contains(r.Before, "has snapshot") || !strings.Contains(r.After, "has no snapshot") {
		t.Fatalf("restore %+v, %v", r, err)
	}
	if has, err := s.HasSnapshot(ctx, sim.Router1, vsphereenv.StunSnapshot); err != nil || has {
		t.Errorf("snapshot left: %v, %v", has, err)
	}
}
