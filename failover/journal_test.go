package failover

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/internal/statepaths"
)

// A damaged journal is an error naming the file, never "nothing to
// restore".
func TestDamagedJournalIsAnError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(statepaths.DrillJournal(dir, "p"), []byte(`{"format":"carpvm.drill-journal/v1","pair":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if j, err := ReadJournal(dir, "p"); err == nil || !strings.Contains(err.Error(), statepaths.DrillJournal(dir, "p")) {
		t.Errorf("damaged journal: %+v, %v", j, err)
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
		if r, err := Restore(context.Background(), env, dir); err != nil || !r.WasInEffect || r.After != "alive=true" {
			t.Errorf("restore %+v, %v", r, err)
		}
	})
}
