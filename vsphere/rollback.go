package vsphere

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/change"
)

// Rollback restores every object of the backup to its saved state, in the
// reverse of the order the plan touched them, then reads them all back and
// checks that each matches the backup exactly (a distributed portgroup's
// configVersion aside, which vCenter bumps on every write). A rule the plan
// added is removed. It can be run any time after the backup was written,
// from another process: it needs only the backup document.
func (s *Session) Rollback(ctx context.Context, b change.Backup) error {
	if err := b.Validate(); err != nil {
		return err
	}
	mgr, err := s.fixManagers(ctx, b)
	if err != nil {
		return err
	}
	var targets []change.Target
	for _, o := range b.Objects {
		targets = append(targets, o.Target)
	}
	if _, err := s.restoreAll(ctx, b, mgr, targets); err != nil {
		return &Error{Op: "roll back", Err: err}
	}
	return s.verify(ctx, b)
}

// restoreAll restores the backup's state of targets, each once, in reverse
// order; it goes on past a failure and returns every failure.
func (s *Session) restoreAll(ctx context.Context, b change.Backup, mgr *fixManagers, targets []change.Target) (int, error) {
	var errs []error
	done := map[string]bool{}
	restored := 0
	for _, t := range slices.Backward(targets) {
		k := t.Key()
		if done[k] {
			continue
		}
		done[k] = true
		saved, ok := b.Object(k)
		if !ok {
			errs = append(errs, fmt.Errorf("restore %s: the backup holds no previous state", t))
			continue
		}
		if err := s.restore(ctx, mgr, saved); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", t, err))
			continue
		}
		restored++
	}
	return restored, errors.Join(errs...)
}

// restore writes one saved state back.
func (s *Session) restore(ctx context.Context, mgr *fixManagers, saved change.Saved) error {
	t := saved.Target
	b := change.Backup{Objects: []change.Saved{saved}}
	switch t.Kind {
	case change.KindHostOption:
		var prev types.OptionValue
		if err := savedSpec(b, t, &prev); err != nil {
			return err
		}
		om, err := mgr.optionManager(s, t)
		if err != nil {
			return err
		}
		return om.Update(ctx, []types.BaseOptionValue{&prev})
	case change.KindVSwitch:
		var prev types.HostVirtualSwitchSpec
		if err := savedSpec(b, t, &prev); err != nil {
			return err
		}
		ns, err := mgr.networkSystem(s, t)
		if err != nil {
			return err
		}
		return ns.UpdateVirtualSwitch(ctx, t.Name, prev)
	case change.KindPortgroup:
		var prev types.HostPortGroupSpec
		if err := savedSpec(b, t, &prev); err != nil {
			return err
		}
		ns, err := mgr.networkSystem(s, t)
		if err != nil {
			return err
		}
		return ns.UpdatePortGroup(ctx, t.Name, prev)
	case change.KindDVPortgroup:
		var prev types.DVPortgroupConfigInfo
		if err := savedSpec(b, t, &prev); err != nil {
			return err
		}
		return s.reconfigureDV(ctx, t, &prev, prev.DefaultPortConfig)
	case change.KindClusterRule:
		return s.restoreRule(ctx, b, saved)
	case change.KindVM:
		var prev types.VirtualMachineRelocateSpec
		if err := savedSpec(b, t, &prev); err != nil {
			return err
		}
		cur, err := s.fixSnapshot(ctx, []change.Target{t})
		if err != nil {
			return err
		}
		vm, err := cur.vm(t)
		if err != nil {
			return err
		}
		if vm.Runtime.Host != nil && prev.Host != nil && *vm.Runtime.Host == *prev.Host {
			return nil // never moved
		}
		return s.relocateVM(ctx, t, prev)
	case change.KindVMNIC:
		var prev types.BaseVirtualDevice
		if err := savedSpec(b, t, &prev); err != nil {
			return err
		}
		return s.editDevice(ctx, t, prev)
	}
	return fmt.Errorf("unknown object kind %q", t.Kind)
}

// restoreRule removes a rule the plan added, or writes back the saved one.
func (s *Session) restoreRule(ctx context.Context, b change.Backup, saved change.Saved) error {
	t := saved.Target
	if !saved.Absent {
		var prev types.BaseClusterRuleInfo
		if err := savedSpec(b, t, &prev); err != nil {
			return err
		}
		return s.reconfigureRules(ctx, t, types.ClusterRuleSpec{
			ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationEdit}, Info: prev})
	}
	cur, err := s.fixSnapshot(ctx, []change.Target{t})
	if err != nil {
		return err
	}
	r, err := cur.rule(t)
	if err != nil || r == nil {
		return err // nil, nil: never added
	}
	return s.reconfigureRules(ctx, t, types.ClusterRuleSpec{
		ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationRemove, RemoveKey: r.GetClusterRuleInfo().Key}})
}

// verify reads every object of the backup again and compares it with its
// saved state.
func (s *Session) verify(ctx context.Context, b change.Backup) error {
	var targets []change.Target
	for _, o := range b.Objects {
		targets = append(targets, o.Target)
	}
	cur, err := s.fixSnapshot(ctx, targets)
	if err != nil {
		return err
	}
	var errs []error
	for _, want := range b.Objects {
		got, err := cur.save(want.Target)
		if err != nil {
			errs = append(errs, fmt.Errorf("verify %s: %w", want.Target, err))
			continue
		}
		same, err := sameSaved(want, got)
		if err != nil {
			errs = append(errs, fmt.Errorf("verify %s: %w", want.Target, err))
		} else if !same {
			errs = append(errs, fmt.Errorf("verify %s: read back differs from the backup", want.Target))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &Error{Op: "verify the rollback", Err: err}
	}
	return nil
}

// sameSaved compares two saved states of one object, byte for byte in
// vSphere's JSON encoding; a distributed portgroup's configVersion and a
// VM's resource pool when only its host was saved are left out.
func sameSaved(want, got change.Saved) (bool, error) {
	if want.Absent || got.Absent {
		return want.Absent == got.Absent, nil
	}
	if want.Target.Kind != change.KindDVPortgroup {
		var w, g bytes.Buffer
		if err := json.Compact(&w, want.Spec); err != nil {
			return false, err
		}
		if err := json.Compact(&g, got.Spec); err != nil {
			return false, err
		}
		return bytes.Equal(w.Bytes(), g.Bytes()), nil
	}
	var w, g types.DVPortgroupConfigInfo
	if err := decodeVim(want.Spec, &w); err != nil {
		return false, err
	}
	if err := decodeVim(got.Spec, &g); err != nil {
		return false, err
	}
	w.ConfigVersion, g.ConfigVersion = "", ""
	wr, err := encodeVim(&w)
	if err != nil {
		return false, err
	}
	gr, err := encodeVim(&g)
	if err != nil {
		return false, err
	}
	return bytes.Equal(wr, gr), nil
}
