package vsphere

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
)

// The stun drill: a memory snapshot makes ESXi stun the VM
// while it writes the VM's memory, as a vMotion's switch-over does; the
// drill removes the snapshot after. Only the snapshot the drill named is
// ever removed.

// SnapshotMemory takes a snapshot of vm named name, with its memory (not
// quiesced): the stun. It refuses a VM that already has a snapshot of that
// name, so that a left-over one is not taken for the drill's.
func (s *Session) SnapshotMemory(ctx context.Context, vm, name string) error {
	has, err := s.HasSnapshot(ctx, vm, name)
	if err != nil {
		return err
	}
	if has {
		return fmt.Errorf("vsphere: VM %s already has a snapshot named %q; remove it first (a drill that was cut short leaves it)", vm, name)
	}
	v, err := s.findVM(ctx, vm)
	if err != nil {
		return err
	}
	op := fmt.Sprintf("memory snapshot %q of %s", name, vm)
	task, err := object.NewVirtualMachine(s.client, v.Reference()).CreateSnapshot(ctx, name, "carpvm drill: stun the VM (memory snapshot); removed by the drill", true, false)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	if err := s.waitTask(ctx, task); err != nil {
		return &Error{Op: op, Err: err}
	}
	return nil
}

// RemoveSnapshot removes vm's snapshot named name; none is no error.
func (s *Session) RemoveSnapshot(ctx context.Context, vm, name string) error {
	has, err := s.HasSnapshot(ctx, vm, name)
	if err != nil || !has {
		return err
	}
	v, err := s.findVM(ctx, vm)
	if err != nil {
		return err
	}
	op := fmt.Sprintf("remove snapshot %q of %s", name, vm)
	consolidate := true
	task, err := object.NewVirtualMachine(s.client, v.Reference()).RemoveSnapshot(ctx, name, false, &consolidate)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	if err := s.waitTask(ctx, task); err != nil {
		return &Error{Op: op, Err: err}
	}
	return nil
}

// HasSnapshot says whether vm has a snapshot named name: what a stun
// drill's restore reads back.
func (s *Session) HasSnapshot(ctx context.Context, vm, name string) (bool, error) {
	return readAcrossRelogin(s, func() (bool, error) {
		v, err := findVM(ctx, s.client, vm)
		if err != nil {
			return false, err
		}
		if _, err := object.NewVirtualMachine(s.client, v.Reference()).FindSnapshot(ctx, name); err != nil {
			if notFound(err) {
				return false, nil
			}
			return false, &Error{Op: "find snapshot " + name + " of " + vm, Err: err}
		}
		return true, nil
	})
}

// notFound says whether FindSnapshot found no snapshot of that name, or
// none at all (govmomi says so in words only).
func notFound(err error) bool {
	s := err.Error()
	return strings.Contains(s, "no snapshots for this VM") || strings.Contains(s, "not found")
}
