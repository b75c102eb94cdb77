package failover

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/carpvm/carpvm/internal/flock"
)

// Lock is an exclusive lock on a pair: two drills never run on one pair at
// once. A drill killed outright leaves no stale lock (see internal/flock).
type Lock = flock.Lock

// ErrLocked is wrapped by TryLock when another drill holds the pair.
var ErrLocked = errors.New("failover: another drill holds the pair")

// LockDirEnv names the environment variable that moves the drill locks
// elsewhere (tests, or several users sharing one directory).
const LockDirEnv = "CARPVM_LOCK_DIR"

// RootLockDir is where root's drills lock their pairs: one place on the
// machine, whatever the history directory or the session's environment.
const RootLockDir = "/run/lock/carpvm"

// DefaultLockDir is the directory of the drill locks: $CARPVM_LOCK_DIR when
// set; else RootLockDir for root; else $XDG_RUNTIME_DIR/carpvm/locks, or,
// without a runtime directory, locks in the user's state directory
// ($XDG_STATE_HOME/carpvm/locks, ~/.local/state/carpvm/locks). It never
// depends on --history, so two drills of one pair meet on one lock.
func DefaultLockDir(getenv func(string) string, root bool) (string, error) {
	switch {
	case getenv(LockDirEnv) != "":
		return getenv(LockDirEnv), nil
	case root:
		return RootLockDir, nil
	case getenv("XDG_RUNTIME_DIR") != "":
		return filepath.Join(getenv("XDG_RUNTIME_DIR"), "carpvm", "locks"), nil
	case getenv("XDG_STATE_HOME") != "":
		return filepath.Join(getenv("XDG_STATE_HOME"), "carpvm", "locks"), nil
	case getenv("HOME") != "":
		return filepath.Join(getenv("HOME"), ".local", "state", "carpvm", "locks"), nil
	}
	return "", fmt.Errorf("failover: no lock directory: none of $%s, $XDG_RUNTIME_DIR, $XDG_STATE_HOME, $HOME is set", LockDirEnv)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LockPath is the lock file of pair inside dir: drill-PAIR.lock.
func LockPath(dir, pair string) string {
	return filepath.Join(dir, "drill-"+unsafeName.ReplaceAllString(pair, "_")+".lock")
}

// TryLock takes pair's lock in dir (created 0700) without waiting. Refused,
// the error names the lock file and the holder's pid.
func TryLock(dir, pair string) (*Lock, error) {
	l, err := flock.TryLock(LockPath(dir, pair))
	if errors.Is(err, flock.ErrHeld) {
		return nil, fmt.Errorf("%w %q: %v", ErrLocked, pair, err)
	}
	if err != nil {
		return nil, fmt.Errorf("failover: %w", err)
	}
	return l, nil
}
