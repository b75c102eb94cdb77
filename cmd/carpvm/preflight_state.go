package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/atomicfile"
	"github.com/carpvm/carpvm/internal/flock"
	"github.com/carpvm/carpvm/internal/statepaths"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/workflow"
)

// defaultBackupDir is where preflight --fix's backups go by default
// (internal/statepaths).
func defaultBackupDir(getenv config.Getenv) (string, error) {
	d, err := statepaths.Backups(getenv)
	if err != nil {
		return "", usageError("preflight --fix: %v; pass --backup FILE", err)
	}
	return d, nil
}

// lockTarget takes the writers' lock of target, so that two fixes or
// rollbacks on one machine never write to one vCenter at once; a held lock
// is refused (exit 4) naming the holder.
func lockTarget(getenv config.Getenv, target, what string) (*flock.Lock, error) {
	id := workflow.TargetID(target)
	if id == "" {
		return nil, withExit(exitUsage, fmt.Errorf("%s: writers' lock: vSphere URL %s has no host", what, workflow.RedactURL(target)))
	}
	path, err := statepaths.WriterLock(getenv, id)
	if err != nil {
		return nil, withExit(exitUsage, fmt.Errorf("%s: writers' lock: %w", what, err))
	}
	l, err := flock.TryLock(path)
	var held *flock.HeldError
	if errors.As(err, &held) {
		return nil, withExit(exitNotApplied, fmt.Errorf("%s: another carpvm is writing to %s (%v); nothing was changed: wait for it to finish and run again", what, workflow.RedactURL(target), held))
	}
	if err != nil {
		return nil, withExit(exitUsage, fmt.Errorf("%s: writers' lock: %w", what, err))
	}
	return l, nil
}

// writeBackup writes b to --backup or a new timestamped file, readable by
// its owner only, never over an existing file, through a temporary file
// renamed into place: the path holds the whole backup or nothing.
func (o *fixOptions) writeBackup(b change.Backup) (string, error) {
	path := o.Backup
	if path == "" {
		dir, err := defaultBackupDir(o.Getenv)
		if err != nil {
			return "", err
		}
		path = filepath.Join(dir, o.Now().UTC().Format("20060102T150405.000000000Z")+".json")
	}
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("preflight --fix: backup directory: %w", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return "", withExit(exitUsage, fmt.Errorf("preflight --fix: write backup %s: the file exists; an earlier backup is never overwritten", path))
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("preflight --fix: write backup: %w", err)
	}
	return path, nil
}
