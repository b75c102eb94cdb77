package vsphereenv

import (
	"context"

	"github.com/carpvm/carpvm/failover"
)

// Privileges are the vSphere privileges on the router VM that t's action
// and its undo need (docs/privileges.md); none for a demote, which runs
// the user's command.
func Privileges(t failover.Trigger) []string {
	switch t.Action() {
	case failover.TriggerPowerOff:
		return []string{"VirtualMachine.Interact.PowerOff", "VirtualMachine.Interact.PowerOn"}
	case failover.TriggerNICDisconnect:
		return []string{"VirtualMachine.Interact.DeviceConnection"}
	case failover.TriggerStun:
		return []string{"VirtualMachine.State.CreateSnapshot", "VirtualMachine.State.RemoveSnapshot"}
	}
	return nil
}

// PrivilegeChecker asks vCenter whether the user holds privileges on a VM
// (*vsphere.Session has it).
type PrivilegeChecker interface {
	CheckVMPrivileges(ctx context.Context, vm string, privs []string) error
}

var _ failover.WriteChecker = (*Env)(nil)

// CheckWrites implements failover.WriteChecker: before the drill's first
// write it asks vCenter whether the user holds the privileges t's action
// and its undo need on router's VM; a missing one is a
// *vsphere.PrivilegeError naming the VM and each privilege. An Ops that
// cannot ask is not checked.
func (e *Env) CheckWrites(ctx context.Context, t failover.Trigger, _ failover.Network, router string) error {
	pc, ok := e.Ops.(PrivilegeChecker)
	privs := Privileges(t)
	if !ok || len(privs) == 0 {
		return nil
	}
	return pc.CheckVMPrivileges(ctx, e.vm(router), privs)
}
