package node

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// groupLock is a held group lock: a listening socket bound to the name.
// It accepts and closes connections so that a refused node, which
// connects to learn the holder's pid (SO_PEERCRED), never fills its
// backlog.
type groupLock struct {
	ln *net.UnixListener
}

// lockGroup binds vhid on iface's lock. When another process holds it,
// the error is a *GroupHeldError with the holder's pid when the kernel
// tells it.
func lockGroup(iface string, vhid uint8) (*groupLock, error) {
	name := GroupLockName(iface, vhid)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"})
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, &GroupHeldError{Interface: iface, VHID: vhid, Lock: name, PID: groupLockHolder(name)}
	}
	if err != nil {
		return nil, fmt.Errorf("node: lock vhid %d on %s (%s): %w", vhid, iface, name, err)
	}
	l := &groupLock{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by unlock
			}
			c.Close()
		}
	}()
	return l, nil
}

// groupLockHolder asks the kernel which process bound name: the peer
// credentials of a connection are the listener's. 0 when unknown (the
// holder is in another pid namespace, or left meanwhile).
func groupLockHolder(name string) int {
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: name, Net: "unix"})
	if err != nil {
		return 0
	}
	defer c.Close()
	rc, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	pid := 0
	_ = rc.Control(func(fd uintptr) {
		if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
			pid = int(cred.Pid)
		}
	})
	return pid
}

func (l *groupLock) unlock() { l.ln.Close() }
