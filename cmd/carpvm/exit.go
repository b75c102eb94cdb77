package main

import (
	"errors"
	"fmt"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/workflow"
)

// Exit codes (docs/architecture.md, "Exit codes"); exitStatuses says what
// each means.
const (
	exitOK          = 0
	exitCheckFailed = 1
	exitUsage       = 2
	exitVSphere     = 3
	exitNotApplied  = 4
	exitOther       = 5
)

// exitStatus is an exit code and what it means, as the man pages say.
type exitStatus struct {
	Code    int
	Meaning string
}

// exitStatuses lists every exit code. exitOther is never 1 on purpose: a
// script reads 1 as "the checks ran and one failed".
func exitStatuses() []exitStatus {
	return []exitStatus{
		{exitOK, "nothing failed"},
		{exitCheckFailed, "a check failed (warnings only with --strict), or a drill failed"},
		{exitUsage, "usage or configuration error, including a malformed or missing vsphere URL, username or thumbprint"},
		{exitVSphere, "vSphere unreachable or refused"},
		{exitNotApplied, "preflight --fix planned changes but did not apply them, or a writer's lock, a changed field or a missing vSphere privilege refused a write"},
		{exitOther, "any other error: a file, a socket, the local system, the lab (the message says which)"},
	}
}

// exitError carries an exit code decided by a command. A nil err means the
// command already said all it had to say (e.g. a findings table).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExit wraps err so that the process exits with code.
func withExit(code int, err error) error { return &exitError{code: code, err: err} }

// silentExit makes the process exit with code without printing anything more.
func silentExit(code int) error { return &exitError{code: code} }

// usageError marks bad flags or arguments.
func usageError(format string, args ...any) error {
	return withExit(exitUsage, fmt.Errorf(format, args...))
}

// exitCodeOf decides the process's exit code from a command's error, in one
// place, and whether the error still needs printing. A code a command
// decided wins; then a configuration error anywhere in the chain (a
// vSphere error caused by the vsphere section is the configuration's); a
// drill refused by its pair's lock (1, as a failed drill); then vSphere;
// anything else is exitOther. Commands return errors as they come
// (wrapped with the command's name), never a code of their own for them.
func exitCodeOf(err error) (code int, print bool) {
	if err == nil {
		return exitOK, false
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.err != nil
	}
	// A drill restore: still in effect after its undo is a failed
	// restore (1), a journal of another target a usage error (2); one that
	// could not reach its target falls to vSphere's code below (3).
	var still *failover.StillInEffectError
	if errors.As(err, &still) {
		return exitCheckFailed, true
	}
	var other *failover.OtherTargetError
	if errors.As(err, &other) {
		return exitUsage, true
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		return exitUsage, true
	}
	if errors.Is(err, workflow.ErrNotApplied) {
		return exitNotApplied, true // declined, or a fleet interrupted before this pair
	}
	var le *workflow.LockError
	if errors.As(err, &le) {
		return exitCheckFailed, true
	}
	var pe *workflow.PrivilegeError
	if errors.As(err, &pe) {
		return exitNotApplied, true // refused before the first write
	}
	// carpvm sim: an address that cannot be served (in use, not this
	// machine's) is the environment's.
	var listen *workflow.ListenError
	if errors.As(err, &listen) {
		return exitOther, true
	}
	var option *workflow.OptionError
	if errors.As(err, &option) {
		return exitUsage, true
	}
	var addr *workflow.AddressError
	if errors.As(err, &addr) {
		return exitUsage, true
	}
	// vSphere unreachable or refused: a workflow's vSphere step, or a
	// session's own error.
	var be *workflow.BackendError
	var ve *workflow.SessionError
	if errors.As(err, &be) || errors.As(err, &ve) {
		return exitVSphere, true
	}
	return exitOther, true
}
