package node

import (
	"errors"
	"fmt"

	"github.com/carpvm/carpvm/internal/flock"
)

// Instance is the set of locks a node holds while it runs: one per group
// (interface and vhid) and one for its control socket. They are taken, all
// or none, before the node touches anything, so that a node started by
// mistake next to a running one is refused without undoing the other's
// macvlan and VIPs. The kernel drops them when the process dies.
type Instance struct {
	locks []*flock.Lock
}

// LockInstance takes the locks of groups (and of controlSocket unless it
// is "") in paths.RunDir. A lock held by another process is an error
// naming the holder's pid and what to do.
func LockInstance(paths Paths, groups []Group, controlSocket string) (*Instance, error) {
	inst := &Instance{}
	if controlSocket != "" {
		if err := inst.take(socketLock(controlSocket), func(pid string) string {
			return fmt.Sprintf("node: control socket %s is in use by a running carpvm node (%s); give this node its own with --control-socket PATH (control_socket in node.yaml)", controlSocket, pid)
		}); err != nil {
			return nil, err
		}
	}
	for _, g := range groups {
		if err := inst.take(paths.GroupLock(g.Interface, g.VHID), func(pid string) string {
			return fmt.Sprintf("node: vhid %d on %s is run by another carpvm node (%s); stop it first, or pick another vhid", g.VHID, g.Interface, pid)
		}); err != nil {
			inst.Unlock()
			return nil, err
		}
	}
	return inst, nil
}

func (inst *Instance) take(path string, held func(pid string) string) error {
	l, err := flock.TryLock(path)
	var he *flock.HeldError
	switch {
	case errors.As(err, &he):
		pid := "pid unknown"
		if he.PID > 0 {
			pid = fmt.Sprintf("pid %d", he.PID)
		}
		inst.Unlock()
		return fmt.Errorf("%s: %w", held(pid), err)
	case err != nil:
		inst.Unlock()
		return fmt.Errorf("node: %w", err)
	}
	inst.locks = append(inst.locks, l)
	return nil
}

// Unlock releases every lock.
func (inst *Instance) Unlock() {
	if inst == nil {
		return
	}
	for _, l := range inst.locks {
		l.Unlock()
	}
	inst.locks = nil
}
