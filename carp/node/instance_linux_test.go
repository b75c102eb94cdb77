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

// testIface is an interface name no real node runs: the group locks are
// per network namespace, and these tests run in the caller's.
func testIface() string {
	return fmt.Sprintf("t%d", os.Getpid()%100000000)
}

// A node whose second group is held takes none of its locks, and the
// refusal names the group and the holder's pid.
func TestLockInstanceAllOrNothing(t *testing.T) {
	t.Parallel()
	iface := testIface()
	held, err := LockInstance([]Group{{Interface: iface, VHID: 2}}, "")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "node.sock")
	groups := []Group{{Interface: iface, VHID: 1}, {Interface: iface, VHID: 2}}
	_, err = LockInstance(groups, sock)
	var he *GroupHeldError
	if !errors.Is(err, ErrGroupHeld) || !errors.As(err, &he) || he.VHID != 2 ||
		!strings.Contains(err.Error(), "vhid 2 on "+iface) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("LockInstance: %v; want vhid 2 on %s held by pid %d", err, iface, os.Getpid())
	}
	held.Unlock()
	inst, err := LockInstance(groups, sock)
	if err != nil {
		t.Fatalf("after the holder left, the locks of the refused start are still taken: %v", err)
	}
	_, err = LockInstance([]Group{{Interface: iface, VHID: 3}}, sock)
	if !errors.Is(err, flock.ErrHeld) || !strings.Contains(err.Error(), "--control-socket") {
		t.Errorf("a second node on the socket: %v; want a refusal naming --control-socket", err)
	}
	inst.Unlock()
	if inst, err = LockInstance(groups, sock); err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	inst.Unlock()
}

// The group lock is no file: a second node with its own run directory and
// control socket is refused all the same.
func TestLockInstanceIgnoresPaths(t *testing.T) {
	t.Parallel()
	g := []Group{{Interface: testIface(), VHID: 7}}
	first, err := LockInstance(g, filepath.Join(t.TempDir(), "a.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Unlock()
	if _, err := LockInstance(g, filepath.Join(t.TempDir(), "b.sock")); !errors.Is(err, ErrGroupHeld) {
		t.Fatalf("a second instance with another socket and directory: %v; want ErrGroupHeld", err)
	}
}
