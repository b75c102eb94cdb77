package vsphere

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/change"
)

// written is one write Apply made: the fields it set, Before as found and
// After as written, so that an undo restores exactly them.
type written struct {
	target change.Target
	fields []change.Field
	// created is set when the write created the object (a DRS rule).
	created bool
}

// applier applies steps and remembers its writes for an undo.
type applier struct {
	s       *Session
	b       change.Backup
	mgr     *fixManagers
	written []written
	others  []string        // objects another writer set meanwhile
	toggled []change.Target // promiscuous toggles done (off and on again)
}

func (a *applier) noteOther(t change.Target) {
	if name := t.String(); !slices.Contains(a.others, name) {
		a.others = append(a.others, name)
	}
}

func (a *applier) afterWrite() {
	if a.s.afterWrite != nil {
		a.s.afterWrite()
	}
}

// current reads t's object now: its spec as a tree (nil when absent) and
// as a saved state.
func (s *Session) current(ctx context.Context, t change.Target) (any, change.Saved, error) {
	snap, err := s.fixSnapshot(ctx, []change.Target{t})
	if err != nil {
		return nil, change.Saved{}, err
	}
	cur, err := snap.save(t)
	if err != nil {
		return nil, cur, fmt.Errorf("read %s: %w", t, err)
	}
	tree, err := decodeTree(cur.Spec)
	return tree, cur, err
}

func isConcurrentAccess(err error) bool {
	return err != nil && fault.Is(err, &types.ConcurrentAccess{})
}

func (a *applier) apply(ctx context.Context, st step) error {
	saved, ok := a.b.Object(st.target.Key())
	if !ok {
		return fmt.Errorf("the backup holds no previous state of %s", st.target)
	}
	if st.toggle {
		return a.toggle(ctx, saved)
	}
	if len(saved.Fields) == 0 {
		return nil // the plan's values were the object's already
	}
	for attempt := 1; ; attempt++ {
		err := a.set(ctx, saved, st)
		if !isConcurrentAccess(err) || attempt == maxWriteAttempts {
			return err
		}
		a.noteOther(saved.Target)
	}
}

// set writes the plan's values of the fields still as the backup saw them.
func (a *applier) set(ctx context.Context, saved change.Saved, st step) error {
	t := saved.Target
	tree, cur, err := a.s.current(ctx, t)
	if err != nil {
		return err
	}
	state, other := compareFields(tree, saved.Fields)
	switch state {
	case stateOther:
		return &ConflictError{Conflicts: conflictsOf(t, other)}
	case stateAfter:
		a.noteOther(t)
		return nil
	case stateMixed:
		a.noteOther(t)
	}
	var todo []change.Field
	for _, f := range saved.Fields {
		if now := getField(tree, f.Path); !sameValue(now, f.After) {
			todo = append(todo, change.Field{Path: f.Path, Before: now, After: f.After})
		}
	}
	var desired any
	if cur.Absent {
		raw, err := plannedSpec(saved, st.changes)
		if err != nil {
			return err
		}
		if desired, err = decodeTree(raw); err != nil {
			return err
		}
	} else if desired, err = withFields(tree, todo, false); err != nil {
		return err
	}
	a.written = append(a.written, written{target: t, fields: todo, created: cur.Absent})
	err = a.s.write(ctx, a.mgr, cur, desired)
	if isConcurrentAccess(err) {
		a.written = a.written[:len(a.written)-1] // refused: nothing written
	}
	a.afterWrite()
	return err
}

// toggle turns promiscuous mode off, then back to the backup's value.
func (a *applier) toggle(ctx context.Context, saved change.Saved) error {
	t := saved.Target
	for attempt := 1; ; attempt++ {
		err := a.toggleOnce(ctx, saved)
		if !isConcurrentAccess(err) || attempt == maxWriteAttempts {
			return err
		}
		a.noteOther(t)
	}
}

func (a *applier) toggleOnce(ctx context.Context, saved change.Saved) error {
	t := saved.Target
	tree, cur, err := a.s.current(ctx, t)
	if err != nil {
		return err
	}
	// Off (After) is what another toggle leaves for a moment: not a conflict.
	if state, other := compareFields(tree, saved.Toggled); state == stateOther {
		return &ConflictError{Conflicts: conflictsOf(t, other)}
	}
	off, err := withFields(tree, saved.Toggled, false)
	if err != nil {
		return err
	}
	n := len(a.written)
	a.written = append(a.written, written{target: t, fields: saved.Toggled})
	err = a.s.write(ctx, a.mgr, cur, off)
	a.afterWrite()
	if err != nil {
		if isConcurrentAccess(err) {
			a.written = a.written[:n]
		}
		return fmt.Errorf("promiscuous off: %w", err)
	}
	tree, cur, err = a.s.current(ctx, t)
	if err != nil {
		return err
	}
	on, err := withFields(tree, saved.Toggled, true)
	if err != nil {
		return err
	}
	if err := a.s.write(ctx, a.mgr, cur, on); err != nil {
		return fmt.Errorf("promiscuous on again: %w", err)
	}
	a.afterWrite()
	a.written = a.written[:n] // back as it was: nothing to undo
	a.toggled = append(a.toggled, t)
	return nil
}

// undo restores, in reverse order, the fields Apply wrote that still hold
// what it wrote; a field changed since is left alone and reported. Every
// object written (or maybe written: a write whose answer was lost) is read
// again first, and states says what became of each, by what was read: an
// object that could not be read is said to be not re-read, never undone.
func (a *applier) undo(ctx context.Context) (int, []ObjectState, error) {
	var errs []error
	var states []ObjectState
	restored := 0
	state := func(t change.Target, s string) { states = append(states, ObjectState{Object: t.String(), State: s}) }
	for _, w := range slices.Backward(a.written) {
		tree, cur, err := a.s.current(ctx, w.target)
		if err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", w.target, err))
			state(w.target, StateNotReread)
			continue
		}
		var back []change.Field
		conflict := false
		for _, f := range w.fields {
			now := getField(tree, f.Path)
			switch {
			case sameValue(now, f.After):
				back = append(back, f)
			case !sameValue(now, f.Before):
				conflict = true
				errs = append(errs, fmt.Errorf("restore %s: field %s is now %s, not what carpvm wrote (%s): left as it is",
					w.target, f.Path, showValue(now), showValue(f.After)))
			}
		}
		if len(back) == 0 || cur.Absent {
			if conflict {
				state(w.target, StateOtherWriter)
			} else {
				state(w.target, StateUnchanged)
			}
			continue
		}
		var desired any // nil: remove what the write created
		if !w.created {
			if desired, err = withFields(tree, back, true); err != nil {
				errs = append(errs, err)
				state(w.target, StateNotRestored)
				continue
			}
		}
		if err := a.s.write(ctx, a.mgr, cur, desired); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", w.target, err))
			state(w.target, StateNotRestored)
			continue
		}
		if err := a.verifyRestored(ctx, w.target, back); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", w.target, err))
			state(w.target, StateNotVerified)
			continue
		}
		restored++
		state(w.target, StateRestored)
	}
	return restored, states, errors.Join(errs...)
}

// verifyRestored reads t again and checks each field holds its Before
// value (a removed rule: that it is gone).
func (a *applier) verifyRestored(ctx context.Context, t change.Target, fields []change.Field) error {
	tree, cur, err := a.s.current(ctx, t)
	if err != nil {
		return fmt.Errorf("read it back: %w", err)
	}
	if cur.Absent {
		return nil
	}
	for _, f := range fields {
		if now := getField(tree, f.Path); !sameValue(now, f.Before) {
			return fmt.Errorf("read back, field %s is %s, not %s", f.Path, showValue(now), showValue(f.Before))
		}
	}
	return nil
}

// write makes t's object (cur, as just read) what desired says, in one
// vSphere call; desired nil removes it (a DRS rule). A distributed
// portgroup is written with the configVersion of cur.
func (s *Session) write(ctx context.Context, mgr *fixManagers, cur change.Saved, desired any) error {
	t := cur.Target
	raw := encodeTree(desired)
	switch t.Kind {
	case change.KindHostOption:
		var ov types.OptionValue
		if err := decodeVim(raw, &ov); err != nil {
			return err
		}
		om, err := mgr.optionManager(s, t)
		if err != nil {
			return err
		}
		return om.Update(ctx, []types.BaseOptionValue{&ov})
	case change.KindVSwitch:
		var spec types.HostVirtualSwitchSpec
		if err := decodeVim(raw, &spec); err != nil {
			return err
		}
		ns, err := mgr.networkSystem(s, t)
		if err != nil {
			return err
		}
		return ns.UpdateVirtualSwitch(ctx, t.Name, spec)
	case change.KindPortgroup:
		var spec types.HostPortGroupSpec
		if err := decodeVim(raw, &spec); err != nil {
			return err
		}
		ns, err := mgr.networkSystem(s, t)
		if err != nil {
			return err
		}
		return ns.UpdatePortGroup(ctx, t.Name, spec)
	case change.KindDVPortgroup:
		var cfg types.DVPortgroupConfigInfo
		if err := decodeVim(raw, &cfg); err != nil {
			return err
		}
		ref, err := targetRef(t)
		if err != nil {
			return err
		}
		task, err := object.NewDistributedVirtualPortgroup(s.client, ref).Reconfigure(ctx, dvSpec(&cfg, cfg.DefaultPortConfig, cfg.ConfigVersion))
		if err != nil {
			return err
		}
		return s.waitTask(ctx, task)
	case change.KindDVSwitch:
		var cfg types.DVSConfigInfo
		if err := decodeVim(raw, &cfg); err != nil {
			return err
		}
		ref, err := targetRef(t)
		if err != nil {
			return err
		}
		// Only the default port policy, at the configVersion just read.
		spec := &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{ConfigVersion: cfg.ConfigVersion, DefaultPortConfig: cfg.DefaultPortConfig}}
		task, err := object.NewDistributedVirtualSwitch(s.client, ref).Reconfigure(ctx, spec)
		if err != nil {
			return err
		}
		return s.waitTask(ctx, task)
	case change.KindClusterRule:
		return s.writeRule(ctx, cur, desired)
	case change.KindVM:
		var spec types.VirtualMachineRelocateSpec
		if err := decodeVim(raw, &spec); err != nil {
			return err
		}
		return s.relocateVM(ctx, t, spec)
	case change.KindVMNIC:
		var dev types.BaseVirtualDevice
		if err := decodeVim(raw, &dev); err != nil {
			return err
		}
		return s.editDevice(ctx, t, dev)
	}
	return fmt.Errorf("unknown object kind %q", t.Kind)
}

// writeRule adds, edits or (desired nil) removes a DRS rule.
func (s *Session) writeRule(ctx context.Context, cur change.Saved, desired any) error {
	t := cur.Target
	if desired == nil {
		if cur.Absent {
			return nil
		}
		var r types.BaseClusterRuleInfo
		if err := decodeVim(cur.Spec, &r); err != nil {
			return err
		}
		return s.reconfigureRules(ctx, t, types.ClusterRuleSpec{
			ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationRemove, RemoveKey: r.GetClusterRuleInfo().Key}})
	}
	var info types.BaseClusterRuleInfo
	if err := decodeVim(encodeTree(desired), &info); err != nil {
		return err
	}
	op := types.ArrayUpdateOperationEdit
	if cur.Absent {
		op = types.ArrayUpdateOperationAdd
	}
	return s.reconfigureRules(ctx, t, types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: op}, Info: info})
}
