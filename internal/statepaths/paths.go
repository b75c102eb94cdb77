package statepaths

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
)

// LockDirEnv names the environment variable that moves the drill locks
// elsewhere (tests, or several users sharing one directory).
const LockDirEnv = "CARPVM_LOCK_DIR"

// RootLockDir is where root's drills lock their pairs: one place on the
// machine, whatever the history directory or the session's environment.
const RootLockDir = "/run/lock/carpvm"

// xdg is the value of an XDG base-directory variable, "" when it is unset
// or relative: the specification makes a relative path invalid, to be
// ignored.
func xdg(getenv func(string) string, name string) string {
	if d := getenv(name); filepath.IsAbs(d) {
		return d
	}
	return ""
}

// Dir is carpvm's state directory: $XDG_STATE_HOME/carpvm, else
// $HOME/.local/state/carpvm.
func Dir(getenv func(string) string) (string, error) {
	if d := xdg(getenv, "XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "carpvm"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "carpvm"), nil
	}
	return "", errors.New("no state directory: $XDG_STATE_HOME is unset or relative and $HOME is unset")
}

// in is sub of the state directory.
func in(getenv func(string) string, sub ...string) (string, error) {
	d, err := Dir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{d}, sub...)...), nil
}

// Backups is the directory of preflight --fix's backups: STATE/backups.
func Backups(getenv func(string) string) (string, error) {
	return in(getenv, "backups")
}

// WriterLock is the writers' lock of a vSphere server (its
// workflow.TargetID, HOST:PORT): STATE/locks/vsphere-HOST_PORT.lock.
func WriterLock(getenv func(string) string, targetID string) (string, error) {
	if targetID == "" {
		return "", errors.New("no writers' lock for a vSphere URL without a host")
	}
	return in(getenv, "locks", "vsphere-"+fileName(targetID)+".lock")
}

// SimCredentials is where carpvm sim -o json writes the login of the
// simulator serving at targetID (HOST:PORT): STATE/sim/HOST_PORT.env.
func SimCredentials(getenv func(string) string, targetID string) (string, error) {
	if targetID == "" {
		return "", errors.New("no credentials file for a simulator URL without a host")
	}
	return in(getenv, "sim", fileName(targetID)+".env")
}

// DrillHistory is the drills' history directory, which holds their
// journals too: STATE/drills. The error asks for --history, the flag that
// does without it.
func DrillHistory(getenv func(string) string) (string, error) {
	d, err := in(getenv, "drills")
	if err != nil {
		return "", fmt.Errorf("no history directory: %w; pass --history DIR", err)
	}
	return d, nil
}

// DrillLocks is the directory of the drill locks: $CARPVM_LOCK_DIR when
// set; else RootLockDir for root; else $XDG_RUNTIME_DIR/carpvm/locks, or,
// without a runtime directory, STATE/locks. It never depends on --history,
// so two drills of one pair meet on one lock.
func DrillLocks(getenv func(string) string, root bool) (string, error) {
	switch {
	case getenv(LockDirEnv) != "":
		return getenv(LockDirEnv), nil
	case root:
		return RootLockDir, nil
	case xdg(getenv, "XDG_RUNTIME_DIR") != "":
		return filepath.Join(xdg(getenv, "XDG_RUNTIME_DIR"), "carpvm", "locks"), nil
	}
	d, err := in(getenv, "locks")
	if err != nil {
		return "", fmt.Errorf("no lock directory: neither $%s nor an absolute $XDG_RUNTIME_DIR is set, and %w", LockDirEnv, err)
	}
	return d, nil
}

// DrillLock is the lock file of pair in the drill locks' directory dir:
// drill-PAIR.lock.
func DrillLock(dir, pair string) string {
	return filepath.Join(dir, "drill-"+fileName(pair)+".lock")
}

// DrillJournal is pair's drill journal in the history directory dir:
// drill-PAIR.journal.json.
func DrillJournal(dir, pair string) string {
	return filepath.Join(dir, "drill-"+fileName(pair)+".journal.json")
}

var unsafeRun = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName makes a pair name or HOST:PORT one safe path element: each run
// of other characters (a separator, ':', a space) becomes one '_'.
func fileName(s string) string {
	return unsafeRun.ReplaceAllString(s, "_")
}
