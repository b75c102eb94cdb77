package node

import (
	"errors"
	"fmt"

	"github.com/carpvm/carpvm/internal/flock"
)

// Instance is the set of locks a node holds while it runs: one per group
// (GroupLockName: per network namespace, interface and vhid, whatever
// paths the node was given) and one for its control socket. They are
// taken, all or none, before the node touches anything, so that a node
// started by mistake next to a running one is refused without undoing the
// other's macvlan, rules and VIPs. The kernel drops them when the process
// dies.
type Instance struct {
	groups []*groupLock
	socket *flock.Lock
}

// ErrGroupHeld is wrapped by LockInstance's error when another process
// runs one of the groups.
var ErrGroupHeld = errors.New("group is held by another process")

// GroupHeldError names a group another process runs, and that process.
type GroupHeldError struct {
	Interface string
	VHID      uint8
	Lock      string // the abstract socket name (GroupLockName)
	PID       int    // 0 when unknown
}

func (e *GroupHeldError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = fmt.Sprintf("pid %d", e.PID)
	}
	return fmt.Sprintf("node: vhid %d on %s is run by another carpvm node in this network namespace (%s, lock %s); stop it first, or pick another vhid",
		e.VHID, e.Interface, pid, e.Lock)
}

func (e *GroupHeldError) Unwrap() error { return ErrGroupHeld }

// GroupLockName is the lock of vhid on iface: the abstract unix socket
// @carpvm-node/<iface>/vhid<N>. Abstract names belong to the network
// namespace, not to a file system, so no --run-dir, mount namespace or
// container's view of /run can give a second node its own copy of it: two
// nodes of one group in one network namespace always meet here, and nodes
// in different namespaces (which cannot share an interface) never do. The
// kernel frees the name with the last descriptor, so a killed node leaves
// no stale lock.
func GroupLockName(iface string, vhid uint8) string {
	return fmt.Sprintf("@carpvm-node/%s/vhid%d", iface, vhid)
}

// LockInstance takes the lock of controlSocket unless it is "" (a file
// beside it: the socket is a path, so its lock is one too), then those of
// groups. A lock held by another process is an error naming the
// holder's pid and what to do.
func LockInstance(groups []Group, controlSocket string) (*Instance, error) {
	inst := &Instance{}
	if controlSocket != "" {
		l, err := flock.TryLock(socketLock(controlSocket))
		var he *flock.HeldError
		switch {
		case errors.As(err, &he):
			pid := "pid unknown"
			if he.PID > 0 {
				pid = fmt.Sprintf("pid %d", he.PID)
			}
			return nil, fmt.Errorf("node: control socket %s is in use by a running carpvm node (%s); give this node its own with --control-socket PATH (control_socket in node.yaml): %w", controlSocket, pid, err)
		case err != nil:
			return nil, fmt.Errorf("node: %w", err)
		}
		inst.socket = l
	}
	for _, g := range groups {
		l, err := lockGroup(g.Interface, g.VHID)
		if err != nil {
			inst.Unlock()
			return nil, err
		}
		inst.groups = append(inst.groups, l)
	}
	return inst, nil
}

// Unlock releases every lock.
func (inst *Instance) Unlock() {
	if inst == nil {
		return
	}
	for _, l := range inst.groups {
		l.unlock()
	}
	inst.groups = nil
	if inst.socket != nil {
		inst.socket.Unlock()
		inst.socket = nil
	}
}
