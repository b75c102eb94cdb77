package workflow

import (
	"context"
	"errors"
	"log/slog"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// FixOptions are the choices and the callbacks of Fix: what to plan, and
// the steps the command owns (printing, asking, where the backup goes, the
// writers' lock).
type FixOptions struct {
	Plan      fix.Options
	Simulated bool
	Progress  Progress
	// Notice tells what the user must see even when progress is not
	// shown: where the backup went, another writer, how to restore after
	// a failed apply (nil: Progress).
	Notice Progress
	Log    *slog.Logger
	// ShowPlan is handed the plan before anything is asked or applied.
	ShowPlan func(fix.Plan) error
	// Confirm is asked before n changes are applied; nil applies without
	// asking (--yes).
	Confirm func(n int) (bool, error)
	// Lock takes the writers' lock of the target before anything is
	// written; it returns the unlock.
	Lock func(target string) (unlock func(), err error)
	// WriteBackup stores the backup before anything is applied and
	// returns where.
	WriteBackup func(change.Backup) (string, error)
}

// FixResult is what Fix did.
type FixResult struct {
	Plan fix.Plan
	// Result is the check after the fix (before it when nothing was
	// applied).
	Result  preflight.Report
	Applied bool
	Backup  string
	// Facts are the facts Result was checked on: gathered again after
	// applying, else the first gathering.
	Facts *facts.Facts
	// OtherWriter is set when another writer had already changed an object
	// of the plan, which this fix then left alone.
	OtherWriter *vsphere.OtherWriterError
}

// ErrNotApplied is Fix's error when the plan was not confirmed.
var ErrNotApplied = errors.New("the plan was not applied")

// PlanError is Fix's error when no plan can be made from the configuration
// and the facts.
type PlanError struct{ Err error }

func (e *PlanError) Error() string { return e.Err.Error() }
func (e *PlanError) Unwrap() error { return e.Err }

// BackendError is a workflow's error when vSphere failed one of its
// steps (connect, gather, back up, apply, ...): what the commands exit 3
// for, unless the vsphere section itself is at fault (a *config.Error
// inside).
type BackendError struct {
	Step string
	Err  error
}

func (e *BackendError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *BackendError) Unwrap() error { return e.Err }

// backendError is err as a vSphere failure of step, unless it already is
// one (then it keeps the step that failed first).
func backendError(step string, err error) error {
	var be *BackendError
	if err == nil || errors.As(err, &be) {
		return err
	}
	return &BackendError{Step: step, Err: err}
}

// Fix checks cfg's pair on be, plans the changes the failed checks need,
// and, confirmed, takes the writers' lock, backs up, applies and checks
// again. A failed apply keeps the backup and says how to restore it; an
// interrupted one has undone what it wrote (vsphere.Session.Apply).
// Errors from the callbacks are returned as they are.
func Fix(ctx context.Context, be Backend, cfg *config.Config, o FixOptions) (FixResult, error) {
	var res FixResult
	f, rep, err := Check(ctx, be, cfg, o.Simulated, o.Progress)
	if err != nil {
		return res, err
	}
	res.Result, res.Facts = rep, f
	plan, err := fix.NewPlan(cfg, f, rep.Findings, o.Plan)
	if err != nil {
		return res, &PlanError{Err: err}
	}
	res.Plan = plan
	if o.ShowPlan != nil {
		if err := o.ShowPlan(plan); err != nil {
			return res, err
		}
	}
	if plan.Empty() {
		o.Progress("nothing to change")
		return res, nil
	}
	backup, other, err := applyPlan(ctx, be, plan.Changes, o)
	res.Backup, res.OtherWriter = backup, other
	if err != nil {
		return res, err
	}
	res.Applied = true
	o.Progress("applied %d change(s); checking again", len(plan.Changes))
	if res.Facts, res.Result, err = Check(ctx, be, cfg, o.Simulated, o.Progress); err != nil {
		return res, err
	}
	return res, nil
}

func (o FixOptions) notice(format string, args ...any) {
	if o.Notice != nil {
		o.Notice(format, args...)
		return
	}
	o.Progress(format, args...)
}

// privilegeChecker is a backend that can tell, before the first write,
// whether its user may make a plan's writes (*vsphere.Session).
type privilegeChecker interface {
	CheckPrivileges(ctx context.Context, plan []change.Change) error
}

// applyPlan is the one write path of Fix and AuditFix: the privileges the
// writes need (a *vsphere.PrivilegeError when one is missing), confirmation, the
// writers' lock, the backup (stored before anything is written), the
// apply. Another writer's change is not an error: it comes back as other.
func applyPlan(ctx context.Context, be Backend, changes []change.Change, o FixOptions) (backup string, other *vsphere.OtherWriterError, err error) {
	if pc, ok := be.(privilegeChecker); ok {
		if err := pc.CheckPrivileges(ctx, changes); err != nil {
			return "", nil, err // refused before anything is asked or written
		}
	}
	if o.Confirm != nil {
		ok, err := o.Confirm(len(changes))
		if err != nil {
			return "", nil, err
		}
		if !ok {
			return "", nil, ErrNotApplied
		}
	}
	unlock, err := o.Lock(be.Target())
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	b, err := be.Backup(ctx, changes)
	if err != nil {
		return "", nil, &BackendError{Step: "back up", Err: err}
	}
	if backup, err = o.WriteBackup(b); err != nil {
		return "", nil, err
	}
	o.notice("backup written to %s", backup)
	for i, c := range changes {
		o.Log.Info("applying", "step", i+1, "object", c.Object, "setting", string(c.Setting), "desired", c.Desired)
	}
	switch err := be.Apply(ctx, b); {
	case errors.As(err, &other):
		o.notice("warning: %v", other)
	case err != nil:
		o.notice("the backup is kept in %s; restore it any time with: carpvm preflight rollback %s", backup, backup)
		return backup, nil, &BackendError{Step: "apply", Err: err}
	}
	return backup, other, nil
}
