package flock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrHeld is wrapped by TryLock when another process holds the lock.
var ErrHeld = errors.New("lock is held")

// Lock is a held lock; Unlock releases it.
type Lock struct {
	f    *os.File
	path string
}

// HeldError says who holds a lock: the path and, when the holder wrote it,
// its pid. It wraps ErrHeld.
type HeldError struct {
	Path string
	PID  int // 0 when unknown
}

func (e *HeldError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("lock %s is held by pid %d", e.Path, e.PID)
	}
	return fmt.Sprintf("lock %s is held", e.Path)
}

func (e *HeldError) Unwrap() error { return ErrHeld }

// TryLock takes the lock at path without waiting, creating the file (0600)
// and its directory (0700) when missing, and writes this process's pid into
// it so that a refused caller can name the holder.
func TryLock(path string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &HeldError{Path: path, PID: holder(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// holder reads the pid a holder wrote, or 0.
func holder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// Path is the lock file's path.
func (l *Lock) Path() string { return l.path }

// Unlock releases the lock. The file stays: removing it would let a third
// process lock a fresh inode while a second still waits on the old one.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	// Released here, not by the close: a child forked meanwhile shares the
	// open file until it execs, and would hold the lock that long.
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
