package workflow

import (
	"context"

	"github.com/carpvm/carpvm/failover"
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
	// no CARP traffic) and without a lock (the simulator is this
	// process's own).
	Simulated bool
	// LockDir is where the pair's lock is taken (failover.DefaultLockDir),
	// one place whatever the history directory, so that two drills of one
	// pair meet on one lock.
	LockDir  string
	Progress Progress
}

// DrillPair drills the pair of fopts.Env, under its lock (the lab's
// prefix or the pair's name) unless simulated; a held lock refuses the
// drill before anything is touched, as a *LockError.
func DrillPair(ctx context.Context, fopts failover.Options, opts DrillPairOptions) ([]failover.Report, error) {
	env := fopts.Env
	if opts.Simulated {
		opts.Progress("drilling %s (%s): trigger %s on %d network(s), no witness", env.Pair(), env.Target(), fopts.Trigger, len(fopts.Networks))
		return failover.RunUnwitnessed(ctx, fopts)
	}
	lock, err := failover.TryLock(opts.LockDir, env.Pair())
	if err != nil {
		return nil, &LockError{Err: err}
	}
	defer lock.Unlock()
	opts.Progress("drilling %s (%s): trigger %s on %d network(s)", env.Pair(), env.Target(), fopts.Trigger, len(fopts.Networks))
	return failover.Run(ctx, fopts)
}
