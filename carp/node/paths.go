package node

import (
	"fmt"
	"path/filepath"
)

// Where a node keeps its files: the control socket's lock and the default
// control socket in the run directory (the groups' locks are not files:
// GroupLockName) (gone at reboot, as they should be), the replay memory
// in the state directory (kept).
const (
	DefaultRunDir   = "/run/carpvm"
	DefaultStateDir = "/var/lib/carpvm"
)

// NetnsTag names the calling process's network namespace in file names:
// "" in the host's (that of pid 1), "netns<inode>" in another, so that
// nodes in different namespaces of one host (labs, containers sharing
// /run) never share a lock, a socket or a state file, as keepalived
// suffixes its pid files with the namespace.
func NetnsTag() string {
	self, err := netnsInode("/proc/self/ns/net")
	if err != nil {
		return ""
	}
	if host, err := netnsInode("/proc/1/ns/net"); err == nil && host == self {
		return ""
	}
	return fmt.Sprintf("netns%d", self)
}

// Paths are the files of one node: the one place their names are made.
type Paths struct {
	RunDir   string
	StateDir string
	// Netns is NetnsTag's value.
	Netns string
}

func (p Paths) name(base, ext string) string {
	if p.Netns != "" {
		base += "-" + p.Netns
	}
	return base + ext
}

// ControlSocket is the default control socket: <run>/node.sock, or
// <run>/node-netns<inode>.sock outside the host's namespace.
func (p Paths) ControlSocket() string {
	return filepath.Join(p.RunDir, p.name("node", ".sock"))
}

// ReplayState is the replay memory of vhid on iface:
// <state>/node-<iface>-vhid<N>[-netns<inode>].json.
func (p Paths) ReplayState(iface string, vhid uint8) string {
	return filepath.Join(p.StateDir, p.name(fmt.Sprintf("node-%s-vhid%d", iface, vhid), ".json"))
}

// socketLock is the lock of a control socket: the socket's path + ".lock".
func socketLock(sock string) string { return sock + ".lock" }

// ResolveControlSocket turns DefaultControlSocket (the flag's and
// node.yaml's default) into this namespace's default, ControlSocket; any
// other path is kept.
func (p Paths) ResolveControlSocket(sock string) string {
	if sock == DefaultControlSocket {
		return p.ControlSocket()
	}
	return sock
}
