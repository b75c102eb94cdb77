package failover

import (
	"errors"
	"fmt"

	"github.com/carpvm/carpvm/internal/flock"
	"github.com/carpvm/carpvm/internal/statepaths"
)

// Lock is an exclusive lock on a pair: two drills never run on one pair at
// once. A drill killed outright leaves no stale lock (see internal/flock).
type Lock = flock.Lock

// ErrLocked is wrapped by TryLock when another drill holds the pair.
var ErrLocked = errors.New("failover: another drill holds the pair")

// TryLock takes pair's lock in dir (created 0700) without waiting. Refused,
// the error names the lock file and the holder's pid.
func TryLock(dir, pair string) (*Lock, error) {
	l, err := flock.TryLock(statepaths.DrillLock(dir, pair))
	if errors.Is(err, flock.ErrHeld) {
		return nil, fmt.Errorf("%w %q: %v", ErrLocked, pair, err)
	}
	if err != nil {
		return nil, fmt.Errorf("failover: %w", err)
	}
	return l, nil
}
