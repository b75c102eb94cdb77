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
	// VSphere returns how to log in to target, the server the backup
	// names ("" in a backup that names none): the URL it returns, when
	// set, must name that server; unset, the backup's server (and
	// thumbprint) is used.
	VSphere  func(target string) (config.VSphere, error)
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
	vs, err := o.VSphere(b.Target)
	if err != nil {
		return res, &InputError{Err: err}
	}
	vs, err = rollbackTarget(vs, b)
	if err != nil {
		return res, &InputError{Err: err}
	}
	res.Target = RedactURL(vs.URL)
	be, err := o.Connect(ctx, &config.Config{VSphere: vs})
	if err != nil {
		return res, backendError("connect", err)
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
		// Whatever was restored, the backup still holds every object's
		// previous state, and a rollback restores only what still needs it.
		return res, &BackendError{Step: "rollback", Err: fmt.Errorf("%w\nthe backup %s still holds the state before the fix; once vCenter answers again, finish with: carpvm preflight rollback %s", err, o.File, o.File)}
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

// ServerPair is the pair of pairs whose vsphere.url names target's server
// (the first, when several share it): in a fleet, the login a backup of
// target is rolled back with. None is an error naming the servers.
func ServerPair(pairs []*config.Config, target string) (*config.Config, error) {
	id := TargetID(target)
	var servers []string
	for _, c := range pairs {
		if id != "" && TargetID(c.VSphere.URL) == id {
			return c, nil
		}
		url := "no vsphere.url"
		if c.VSphere.URL != "" {
			url = RedactURL(c.VSphere.URL)
		}
		servers = append(servers, fmt.Sprintf("%s (%s)", c.Pair.Name, url))
	}
	if target == "" {
		return nil, fmt.Errorf("the backup names no vCenter, so no pair of the configuration can be told by it (%s); pick one with --pair NAME", strings.Join(servers, ", "))
	}
	return nil, fmt.Errorf("the backup is of %s, and no pair of the configuration is on that server: %s; roll it back with a configuration of that server (or GOVC_USERNAME and GOVC_PASSWORD alone)",
		RedactURL(target), strings.Join(servers, ", "))
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
