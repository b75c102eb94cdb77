package workflow

import (
	"context"
	"fmt"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/statepaths"
)

// LockError is a drill refused because its pair's lock could not be
// taken: another drill holds it (failover.ErrLocked), or the lock
// directory is unusable. Nothing was touched.
type LockError struct{ Err error }

func (e *LockError) Error() string { return e.Err.Error() }
func (e *LockError) Unwrap() error { return e.Err }

// DrillPairOptions say how DrillPair drills one pair.
type DrillPairOptions struct {
	// Simulated drills on the embedded simulator: unwitnessed (it carries
	// no CARP traffic), without a lock and without a journal (the
	// simulator is this process's own and ends with it).
	Simulated bool
	// Unwitnessed drills without a witness (--no-witness): the trigger
	// and its undo are read back from the target, nothing is measured.
	Unwitnessed bool
	// LockDir is where the pair's lock is taken (statepaths.DrillLocks),
	// one place whatever the history directory, so that two drills of one
	// pair meet on one lock.
	LockDir  string
	Progress Progress
}

// DrillPair drills the pair of fopts.Env, under its lock (the lab's
// prefix or the pair's name) unless simulated; a held lock refuses the
// drill before anything is touched, as a *LockError. A journal left
// behind by a drill of the pair that was killed (fopts.JournalDir) is
// restored first (failover.Restore), and said so; a restore that cannot
// finish refuses the drill with its error, naming the restore command.
func DrillPair(ctx context.Context, fopts failover.Options, opts DrillPairOptions) ([]failover.Report, error) {
	env := fopts.Env
	if opts.Simulated {
		opts.Progress("drilling %s (%s): trigger %s on %d network(s), no witness", env.Pair(), env.Target(), fopts.Trigger, len(fopts.Networks))
		fopts.JournalDir = ""
		return failover.RunUnwitnessed(ctx, fopts)
	}
	lock, err := failover.TryLock(opts.LockDir, env.Pair())
	if err != nil {
		return nil, &LockError{Err: err}
	}
	defer lock.Unlock()
	if err := restoreLeftover(ctx, env, fopts.JournalDir, opts.Progress); err != nil {
		return nil, err
	}
	if opts.Unwitnessed {
		opts.Progress("drilling %s (%s): trigger %s on %d network(s), no witness", env.Pair(), env.Target(), fopts.Trigger, len(fopts.Networks))
		return failover.RunUnwitnessed(ctx, fopts)
	}
	opts.Progress("drilling %s (%s): trigger %s on %d network(s)", env.Pair(), env.Target(), fopts.Trigger, len(fopts.Networks))
	return failover.Run(ctx, fopts)
}

// restoreLeftover restores a journal the pair's last drill left in dir
// before a new drill starts, under the pair's lock.
func restoreLeftover(ctx context.Context, env failover.Env, dir string, progress Progress) error {
	if dir == "" {
		return nil
	}
	reader, ok := env.(failover.EffectReader)
	if !ok {
		return nil
	}
	r, err := failover.Restore(ctx, reader, dir)
	if err != nil {
		return fmt.Errorf("drill: a drill of %s left its journal behind and it could not be restored; nothing new was started: %w", env.Pair(), err)
	}
	if r.Journal != nil {
		progress("drill: a drill of %s was cut short; %s", env.Pair(), r)
	}
	return nil
}

// DrillRestoreOptions say how RestoreDrill finds and reaches a pair.
type DrillRestoreOptions struct {
	// LockDir is where the pair's lock is taken: a restore never runs
	// beside a drill of the pair.
	LockDir string
	// JournalDir is where the journal is (the history directory).
	JournalDir string
	// Connect opens env's target, only when there is a journal to
	// restore; close ends the session. Nil: env is ready.
	Connect func(ctx context.Context) (close func(), err error)
}

// RestoreDrill is `carpvm drill restore` for env's pair: under the pair's
// lock, it reads the journal a killed drill left behind, connects to the
// target only when there is one, and restores it (failover.Restore).
func RestoreDrill(ctx context.Context, env failover.EffectReader, opts DrillRestoreOptions) (failover.Restored, error) {
	lock, err := failover.TryLock(opts.LockDir, env.Pair())
	if err != nil {
		return failover.Restored{}, &LockError{Err: err}
	}
	defer lock.Unlock()
	j, err := failover.ReadJournal(opts.JournalDir, env.Pair())
	if err != nil || j == nil {
		return failover.Restored{}, err
	}
	if j.Target != env.Target() {
		// Refused before connecting: the journal is not this target's.
		return failover.Restore(ctx, env, opts.JournalDir)
	}
	if opts.Connect != nil {
		closeTarget, err := opts.Connect(ctx)
		if err != nil {
			return failover.Restored{Journal: j}, &failover.PendingError{Journal: j, Path: statepaths.DrillJournal(opts.JournalDir, j.Pair), Err: err}
		}
		defer closeTarget()
	}
	return failover.Restore(ctx, env, opts.JournalDir)
}
