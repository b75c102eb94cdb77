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

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LockPath is the lock file of pair inside dir.
func LockPath(dir, pair string) string {
	return filepath.Join(dir, unsafeName.ReplaceAllString(pair, "_")+".lock")
}

// TryLock takes pair's lock in dir (created 0700) without waiting.
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
