//go:build unix

package flock

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A child forked while the lock is held shares its open file until it
// execs (close-on-exec closes it only then): in a process that runs
// commands (a drill's, the tests' own), that window can outlast Unlock.
// Unlock must release the lock itself, not leave it to the last close.
func TestUnlockReleasesWhatAForkedChildStillShares(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	// The child inherits the lock's open file as a fork does before exec.
	child := exec.Command("sleep", "30")
	child.ExtraFiles = []*os.File{l.f}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := TryLock(path)
	if err != nil {
		t.Fatalf("lock after unlock, while a child still shares the old one's file: %v", err)
	}
	_ = again.Unlock()
}
