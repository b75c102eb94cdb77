package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/internal/flock"
)

func TestPathsCarryTheNamespace(t *testing.T) {
	host := Paths{RunDir: "/run/carpvm", StateDir: "/var/lib/carpvm"}
	lab := Paths{RunDir: "/run/carpvm", StateDir: "/var/lib/carpvm", Netns: "netns4026532238"}
	for _, tc := range []struct{ got, want string }{
		{host.ControlSocket(), "/run/carpvm/node.sock"},
		{lab.ControlSocket(), "/run/carpvm/node-netns4026532238.sock"},
		{host.GroupLock("ens192", 1), "/run/carpvm/node-ens192-vhid1.lock"},
		{lab.GroupLock("ens192", 1), "/run/carpvm/node-ens192-vhid1-netns4026532238.lock"},
		{host.ReplayState("ens192", 7), "/var/lib/carpvm/node-ens192-vhid7.json"},
		{lab.ResolveControlSocket(DefaultControlSocket), "/run/carpvm/node-netns4026532238.sock"},
		{lab.ResolveControlSocket("/tmp/x.sock"), "/tmp/x.sock"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}

// A node whose second group is held takes none of its locks.
func TestLockInstanceAllOrNothing(t *testing.T) {
	paths := Paths{RunDir: t.TempDir()}
	held, err := flock.TryLock(paths.GroupLock("eth0", 2))
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(paths.RunDir, "node.sock")
	groups := []Group{{Interface: "eth0", VHID: 1}, {Interface: "eth0", VHID: 2}}
	_, err = LockInstance(paths, groups, sock)
	if !errors.Is(err, flock.ErrHeld) || !strings.Contains(err.Error(), "vhid 2 on eth0") || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("LockInstance: %v; want vhid 2 on eth0 held by pid %d", err, os.Getpid())
	}
	held.Unlock()
	inst, err := LockInstance(paths, groups, sock)
	if err != nil {
		t.Fatalf("after the holder left, the locks of the refused start are still taken: %v", err)
	}
	_, err = LockInstance(paths, groups[:1], sock)
	if err == nil || !strings.Contains(err.Error(), "--control-socket") {
		t.Errorf("a second node on the socket: %v; want a refusal naming --control-socket", err)
	}
	inst.Unlock()
}
