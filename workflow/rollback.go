package workflow

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
)

// RollbackOptions are the choices and the callbacks of Rollback: the
// backup file, --force, and the steps the command owns (logging in, the
// writers' lock, printing).
type RollbackOptions struct {
	// File is the backup --fix wrote.
	File  string
	Force bool
	// VSphere is how to log in: its URL, when set, must name the backup's
	// server; unset, the backup's server (and thumbprint) is used.
	VSphere  config.VSphere
	Progress Progress
	// Connect opens a backend for cfg (Open in production).
	Connect func(ctx context.Context, cfg *config.Config) (Backend, error)
	// Lock takes the writers' lock of the target before anything is
	// written; it returns the unlock.
	Lock func(target string) (unlock func(), err error)
	// Close logs out (it must do so even after ctx was cancelled).
	Close func(Backend)
}

// RollbackResult is what Rollback restored.
type RollbackResult struct {
	File string
	// Target is the server rolled back, without credentials.
	Target string
	// Objects is how many objects were restored and read back.
	Objects int
	// Saved is when the backup was taken.
	Saved time.Time
}

// InputError is Rollback's error when the backup file or the server asked
// for is wrong: nothing was read from or written to vSphere.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Rollback restores exactly the fields a --fix backup saved, on the server
// it came from, under the writers' lock, and reads them back. A field
// changed since the fix is a *vsphere.ConflictError (nothing written)
// unless Force; a vSphere failure is a *BackendError; a bad file or a
// mismatched server an *InputError.
func Rollback(ctx context.Context, o RollbackOptions) (RollbackResult, error) {
	res := RollbackResult{File: o.File}
	b, err := readBackup(o.File)
	if err != nil {
		return res, &InputError{Err: err}
	}
	res.Objects, res.Saved = len(b.Objects), b.Time
	vs, err := rollbackTarget(o.VSphere, b)
	if err != nil {
		return res, &InputError{Err: err}
	}
	res.Target = RedactURL(vs.URL)
	be, err := o.Connect(ctx, &config.Config{VSphere: vs})
	if err != nil {
		return res, &BackendError{Step: "connect", Err: err}
	}
	defer o.Close(be)
	unlock, err := o.Lock(be.Target())
	if err != nil {
		return res, err
	}
	defer unlock()
	o.Progress("restoring the fields the fix set on %d object(s), saved %s", len(b.Objects), b.Time.Format(time.RFC3339))
	err = be.Rollback(ctx, b, vsphere.RollbackOptions{Force: o.Force})
	var conflict *vsphere.ConflictError
	switch {
	case errors.As(err, &conflict):
		return res, conflict
	case err != nil:
		return res, &BackendError{Step: "rollback", Err: err}
	}
	return res, nil
}

func readBackup(path string) (change.Backup, error) {
	fh, err := os.Open(path)
	if err != nil {
		return change.Backup{}, err
	}
	defer fh.Close()
	b, err := change.DecodeBackup(fh)
	if err != nil {
		return change.Backup{}, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// rollbackTarget is the vsphere settings to roll b back with: the backup's
// server (and thumbprint) unless vs names one, which must then be the same.
func rollbackTarget(vs config.VSphere, b change.Backup) (config.VSphere, error) {
	if vs.URL == "" {
		if b.Target == "" {
			return vs, errors.New("the backup names no vCenter; set vsphere.url or GOVC_URL")
		}
		vs.URL = b.Target
	} else if b.Target != "" && TargetID(vs.URL) != TargetID(b.Target) {
		return vs, fmt.Errorf("the backup is of %s, but the configuration points at %s; roll it back against the server it came from (or unset GOVC_URL/vsphere.url to use the backup's)",
			b.Target, RedactURL(vs.URL))
	}
	if vs.Thumbprint == "" && !vs.Insecure {
		vs.Thumbprint = b.Thumbprint
	}
	return vs, nil
}

// TargetID is a vSphere URL's host and port, lower-case, the port made
// explicit (443 for https), "" when it has no host: two URLs name the same
// server when their TargetIDs are equal.
func TargetID(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return strings.ToLower(net.JoinHostPort(u.Hostname(), port))
}
