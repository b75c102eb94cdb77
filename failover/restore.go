package failover

import (
	"context"
	"fmt"
	"time"

	"github.com/carpvm/carpvm/internal/statepaths"
)

// PendingError is a restore that could not finish: the target did not
// answer (vCenter gone, the lab's switch unreachable) while the trigger's
// effect was, or may have been, in place. The journal is kept: it names
// every object with its state before the drill, and the command that
// finishes the restore once the target is back.
type PendingError struct {
	Journal *Journal
	Path    string
	Err     error
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("drill restore not finished: %v; the journal %s is kept: %s; once %s answers again, run `%s`",
		e.Err, e.Path, e.Journal.Describe(), e.Journal.Target, e.Journal.RestoreCommand)
}

func (e *PendingError) Unwrap() error { return e.Err }

// StillInEffectError is a restore whose undo was sent but whose read-back
// shows the trigger's effect still in place. The journal is kept.
type StillInEffectError struct {
	Journal *Journal
	Path    string
	// ReadBack is what was read after the undo.
	ReadBack string
}

func (e *StillInEffectError) Error() string {
	return fmt.Sprintf("drill restore: undone, but read back still in effect: %s; the journal %s is kept: %s; fix it by hand or run `%s` again",
		e.ReadBack, e.Path, e.Journal.Describe(), e.Journal.RestoreCommand)
}

// OtherTargetError is a journal written by a drill of another target than
// the one a restore was pointed at: nothing was touched.
type OtherTargetError struct {
	Journal *Journal
	Path    string
	// Target is the restore's target.
	Target string
}

func (e *OtherTargetError) Error() string {
	return fmt.Sprintf("drill restore: the journal %s was written by a drill of %s, not %s; nothing was touched: restore against %s (`%s`)",
		e.Path, e.Journal.Target, e.Target, e.Journal.Target, e.Journal.RestoreCommand)
}

// Restored is what Restore found and did.
type Restored struct {
	// Journal is the journal found; nil when there was none.
	Journal *Journal
	// WasInEffect says the trigger's effect was read back in place and was
	// undone; false: it was not in place (the drill died before its
	// trigger took effect, or after its undo), and nothing was sent.
	WasInEffect bool
	// Before and After are what was read before and after the undo.
	Before, After string
}

// String says what was restored, in one line.
func (r Restored) String() string {
	switch {
	case r.Journal == nil:
		return "nothing to restore: no drill journal left behind"
	case r.WasInEffect:
		return fmt.Sprintf("restored %s: %s; read back: %s; journal removed", r.Journal.Describe(), r.Before, r.After)
	}
	return fmt.Sprintf("found %s; read back: %s (not in effect: nothing to undo); journal removed", r.Journal.Describe(), r.Before)
}

// Restore finishes the drill whose journal env's pair left in dir: it
// reads the trigger's effect back first, undoes it when it is in place,
// reads it back again, and removes the journal only once the read-back
// shows the effect gone. Without a journal it touches nothing. Its errors
// are a *PendingError (the target did not answer: journal kept), a
// *StillInEffectError or an *OtherTargetError. The caller holds the
// pair's lock, so that no running drill's journal is taken for a dead one.
func Restore(ctx context.Context, env EffectReader, dir string) (Restored, error) {
	j, err := ReadJournal(dir, env.Pair())
	if err != nil || j == nil {
		return Restored{}, err
	}
	r := Restored{Journal: j}
	path := statepaths.DrillJournal(dir, j.Pair)
	if j.Target != env.Target() {
		return r, &OtherTargetError{Journal: j, Path: path, Target: env.Target()}
	}
	action, n := Trigger(j.Action), j.network()
	on, before, err := env.Effect(ctx, action, n, j.Router)
	r.Before = before
	if err != nil {
		return r, &PendingError{Journal: j, Path: path, Err: fmt.Errorf("read back %s: %w", j.Router, err)}
	}
	if on {
		r.WasInEffect = true
		if r.After, err = undoJournaled(ctx, env, j, dir, n, nil); err != nil {
			return r, err
		}
	} else if err := removeJournal(dir, j.Pair); err != nil {
		return r, err
	}
	return r, nil
}

// undoJournaled undoes j's trigger through env: it records the restoring
// phase, sends the undo, reads the effect back and removes the journal
// once the effect is gone, calling hook (when set) after each phase. It
// returns what was read back.
func undoJournaled(ctx context.Context, env EffectReader, j *Journal, dir string, n Network, hook func(string)) (string, error) {
	path := statepaths.DrillJournal(dir, j.Pair)
	j.Phase = JournalRestoring
	// Not recorded, the journal still says "triggered", which a restore
	// finishes the same way: undo anyway.
	_ = j.write(dir, time.Now())
	if hook != nil {
		hook(JournalRestoring)
	}
	action := Trigger(j.Action)
	if err := env.Undo(ctx, action, n, j.Router); err != nil {
		return "", &PendingError{Journal: j, Path: path, Err: err}
	}
	on, after, err := env.Effect(ctx, action, n, j.Router)
	if err != nil {
		return "", &PendingError{Journal: j, Path: path, Err: fmt.Errorf("read the undo back: %w", err)}
	}
	if on {
		return after, &StillInEffectError{Journal: j, Path: path, ReadBack: after}
	}
	if hook != nil {
		hook(JournalUndone)
	}
	return after, removeJournal(dir, j.Pair)
}
