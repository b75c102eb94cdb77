//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestBackupWriteNeverTorn: a backup write cut short (here by a file size
// limit, as a full disk or a kill would) leaves no file at all, not a torn
// one, and no temporary file behind.
func TestBackupWriteNeverTorn(t *testing.T) {
	b, _ := sampleBackup()
	dir := t.TempDir()
	o := &fixOptions{Getenv: stateEnv(dir), fixFlags: fixFlags{Backup: filepath.Join(dir, "b.json")}}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	// Go ignores SIGXFSZ: the write fails with EFBIG instead.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 64, Max: old.Max}); err != nil {
		t.Skipf("cannot limit the file size: %v", err)
	}
	_, err := o.writeBackup(b)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("writeBackup past the file size limit succeeded")
	}
	t.Logf("write cut short: %v", err)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		t.Errorf("left %s behind (%d bytes)", e.Name(), len(data))
	}
}
