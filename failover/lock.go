package failover

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// Lock is an exclusive lock on a pair: two drills never run on one pair at
// once. It is an flock(2) on a file, so that a drill killed outright does
// not leave a stale lock behind.
type Lock struct {
	f    *os.File
	path string
}

// ErrLocked is wrapped by TryLock when another drill holds the pair.
var ErrLocked = errors.New("failover: another drill holds the pair")

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LockPath is the lock file of pair inside dir.
func LockPath(dir, pair string) string {
	return filepath.Join(dir, unsafeName.ReplaceAllString(pair, "_")+".lock")
}

// TryLock takes pair's lock in dir (created 0700) without waiting.
func TryLock(dir, pair string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failover: lock directory: %w", err)
	}
	path := LockPath(dir, pair)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failover: open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w %q: lock %s is held%s", ErrLocked, pair, path, holder)
		}
		return nil, fmt.Errorf("failover: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
