package main

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/carpvm/carpvm/workflow"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/atomicfile"
	"github.com/carpvm/carpvm/internal/flock"
	"github.com/carpvm/carpvm/vsphere/change"
)

// stateDir is $XDG_STATE_HOME/carpvm, else ~/.local/state/carpvm: where
// backups and the writers' locks live.
func stateDir(getenv config.Getenv) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "carpvm"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("no $XDG_STATE_HOME or $HOME for carpvm's state directory")
	}
	return filepath.Join(home, ".local", "state", "carpvm"), nil
}

// defaultBackupDir is the backups directory of the state directory.
func defaultBackupDir(getenv config.Getenv) (string, error) {
	d, err := stateDir(getenv)
	if err != nil {
		return "", usageError("preflight --fix: %v; pass --backup FILE", err)
	}
	return filepath.Join(d, "backups"), nil
}

// lockPath is the writers' lock of a vSphere target:
// STATE/locks/vsphere-HOST_PORT.lock.
func lockPath(getenv config.Getenv, target string) (string, error) {
	id := workflow.TargetID(target)
	if id == "" {
		return "", fmt.Errorf("vSphere URL %s has no host", workflow.RedactURL(target))
	}
	d, err := stateDir(getenv)
	if err != nil {
		return "", err
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, id)
	return filepath.Join(d, "locks", "vsphere-"+name+".lock"), nil
}

// lockTarget takes the writers' lock of target, so that two fixes or
// rollbacks on one machine never write to one vCenter at once; a held lock
// is refused (exit 4) naming the holder.
func lockTarget(getenv config.Getenv, target, what string) (*flock.Lock, error) {
	path, err := lockPath(getenv, target)
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
