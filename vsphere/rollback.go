package vsphere

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/carpvm/carpvm/vsphere/change"
)

// RollbackOptions are the choices of a rollback.
type RollbackOptions struct {
	// Force writes the backup's values even over fields changed since the
	// fix, which a rollback otherwise refuses.
	Force bool
}

// restoreItem is one object a rollback writes: the fields to set back.
type restoreItem struct {
	saved  change.Saved
	fields []change.Field
}

// Rollback restores exactly the fields the fix set (the backup's Fields,
// and a promiscuous toggle caught halfway), in the reverse of the order the
// plan touched their objects; every other field keeps its value now,
// whoever set it. It first reads every object: a field whose value is
// neither what the fix wrote nor what the backup saved changed since the
// fix, and the rollback is refused with a *ConflictError naming each
// (object, field, value now, value it would write), unless opts.Force. Each
// object is read again just before its write (a distributed portgroup
// written with that configVersion). A rule the fix added is removed. Then
// it reads everything back and checks each field holds its saved value. It
// needs only the backup document.
func (s *Session) Rollback(ctx context.Context, b change.Backup, opts RollbackOptions) error {
	if err := b.Validate(); err != nil {
		return err
	}
	mgr, err := s.fixManagers(ctx, b)
	if err != nil {
		return err
	}
	snap, err := s.fixSnapshot(ctx, backupTargets(b))
	if err != nil {
		return err
	}
	var items []restoreItem
	var conflicts []Conflict
	var states []ObjectState // of the objects with nothing to restore
	for _, o := range slices.Backward(b.Objects) {
		cur, err := snap.save(o.Target)
		if err != nil {
			return &Error{Op: "roll back", Err: fmt.Errorf("read %s: %w", o.Target, err)}
		}
		tree, err := decodeTree(cur.Spec)
		if err != nil {
			return err
		}
		back, c := toRestore(tree, o)
		conflicts = append(conflicts, c...)
		if len(back) > 0 {
			items = append(items, restoreItem{saved: o, fields: back})
		} else {
			states = append(states, ObjectState{Object: o.Target.String(), State: StateRollbackUnchanged})
		}
	}
	if len(conflicts) > 0 && !opts.Force {
		return &Error{Op: "roll back", Err: &ConflictError{Rollback: true, Conflicts: conflicts}}
	}
	var errs []error
	for _, it := range items {
		state, err := s.restoreObject(ctx, mgr, it, opts)
		states = append(states, ObjectState{Object: it.saved.Target.String(), State: state})
		if err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", it.saved.Target, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &Error{Op: "roll back", Err: &RollbackError{Err: err, Objects: states}}
	}
	return s.verify(ctx, b)
}

// toRestore lists the fields of o to set back, as tree holds them now, and
// the conflicts: fields holding neither the fix's value nor the saved one
// (restored too, should the caller force it).
func toRestore(tree any, o change.Saved) ([]change.Field, []Conflict) {
	var back []change.Field
	var conflicts []Conflict
	for _, f := range o.Fields {
		now := getField(tree, f.Path)
		switch {
		case sameValue(now, f.Before):
		case sameValue(now, f.After):
			back = append(back, f)
		default:
			write := showValue(f.Before)
			if o.Absent {
				write += " (the fix added the rule: rollback removes it)"
			}
			conflicts = append(conflicts, Conflict{Object: objectName(o.Target), Field: f.Path, Now: showValue(now), Write: write})
			back = append(back, f)
		}
	}
	for _, f := range o.Toggled {
		if sameValue(getField(tree, f.Path), f.After) {
			back = append(back, f)
		}
	}
	return back, conflicts
}

// RollbackError is a rollback that failed partway: the failures, and the
// state of each object it meant to restore.
type RollbackError struct {
	Err     error
	Objects []ObjectState
}

func (e *RollbackError) Error() string {
	msg := e.Err.Error() + "; each object to restore:"
	for _, o := range e.Objects {
		msg += "\n  " + o.Object + ": " + o.State
	}
	return msg
}

func (e *RollbackError) Unwrap() error { return e.Err }

// The states of an object of a rollback that failed partway.
const (
	StateRollbackWritten   = "restored: written back (the check that reads every object back did not run)"
	StateRollbackUnchanged = "holds its values from before the fix already: re-read"
	StateRollbackConflict  = "not restored: changed since the fix (re-read)"
	StateRollbackMaybe     = "may still hold the fix's values: writing it back failed or its answer was lost"
)

// restoreObject reads the object again, checks nothing changed since the
// first read (unless forced), and writes the fields back. It returns the
// object's state, one of the StateRollback* texts or StateNotReread.
func (s *Session) restoreObject(ctx context.Context, mgr *fixManagers, it restoreItem, opts RollbackOptions) (string, error) {
	tree, cur, err := s.current(ctx, it.saved.Target)
	if err != nil {
		return StateNotReread, err
	}
	back, conflicts := toRestore(tree, it.saved)
	if len(conflicts) > 0 && !opts.Force {
		return StateRollbackConflict, &ConflictError{Rollback: true, Conflicts: conflicts}
	}
	if len(back) == 0 || cur.Absent {
		return StateRollbackUnchanged, nil
	}
	var desired any // nil: remove the rule the fix added
	if !it.saved.Absent {
		if desired, err = withFields(tree, back, true); err != nil {
			return StateRollbackMaybe, err
		}
	}
	if err := s.write(ctx, mgr, cur, desired); err != nil {
		return StateRollbackMaybe, err
	}
	return StateRollbackWritten, nil
}

// verify reads every object of the backup again and checks that each field
// the fix set holds its saved value (a rule the fix added is gone).
func (s *Session) verify(ctx context.Context, b change.Backup) error {
	snap, err := s.fixSnapshot(ctx, backupTargets(b))
	if err != nil {
		return err
	}
	var errs []error
	for _, want := range b.Objects {
		got, err := snap.save(want.Target)
		if err != nil {
			errs = append(errs, fmt.Errorf("verify %s: %w", want.Target, err))
			continue
		}
		if want.Absent {
			if !got.Absent {
				errs = append(errs, fmt.Errorf("verify %s: the rule the fix added is still there", want.Target))
			}
			continue
		}
		tree, err := decodeTree(got.Spec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range append(slices.Clone(want.Fields), want.Toggled...) {
			if now := getField(tree, f.Path); !sameValue(now, f.Before) {
				errs = append(errs, fmt.Errorf("verify %s: field %s reads back %s, want %s", want.Target, f.Path, showValue(now), showValue(f.Before)))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &Error{Op: "verify the rollback", Err: err}
	}
	return nil
}

// backupTargets are the objects of b, in its order.
func backupTargets(b change.Backup) []change.Target {
	targets := make([]change.Target, len(b.Objects))
	for i, o := range b.Objects {
		targets[i] = o.Target
	}
	return targets
}
