package vsphere_test

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/carpvm/carpvm/vsphere/sim"
)

// snapshotNames lists vm's snapshots, read back through plain govmomi.
func snapshotNames(t *testing.T, w *fixWorld, vm string) []string {
	t.Helper()
	f := find.NewFinder(w.s.Client(), true)
	dc, err := f.DefaultDatacenter(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	obj, err := f.VirtualMachine(w.ctx, vm)
	if err != nil {
		t.Fatal(err)
	}
	var m mo.VirtualMachine
	if err := obj.Properties(w.ctx, obj.Reference(), []string{"snapshot"}, &m); err != nil {
		t.Fatal(err)
	}
	var names []string
	if m.Snapshot != nil {
		for _, s := range m.Snapshot.RootSnapshotList {
			names = append(names, s.Name)
		}
	}
	return names
}

// The stun of a stun drill: a memory snapshot of the master, removed after;
// a second one of the same name is refused; removing none is no error.
func TestDrillStunSnapshot(t *testing.T) {
	w := newFixWorld(t, sim.Default())
	const name = "carpvm-stun-drill"
	if err := w.s.SnapshotMemory(w.ctx, sim.Router1, name); err != nil {
		t.Fatal(err)
	}
	if got := snapshotNames(t, w, sim.Router1); len(got) != 1 || got[0] != name {
		t.Fatalf("snapshots after the stun = %v, want [%s]", got, name)
	}
	if got := snapshotNames(t, w, sim.Router2); len(got) != 0 {
		t.Errorf("router-003 got snapshots too: %v", got)
	}
	if err := w.s.SnapshotMemory(w.ctx, sim.Router1, name); err == nil || !strings.Contains(err.Error(), "already has a snapshot named") {
		t.Errorf("second snapshot: err = %v, want a refusal", err)
	}
	if err := w.s.RemoveSnapshot(w.ctx, sim.Router1, name); err != nil {
		t.Fatal(err)
	}
	if got := snapshotNames(t, w, sim.Router1); len(got) != 0 {
		t.Errorf("snapshots after the removal = %v, want none", got)
	}
	if err := w.s.RemoveSnapshot(w.ctx, sim.Router1, name); err != nil {
		t.Errorf("removing a snapshot that is gone: %v", err)
	}
	if err := w.s.SnapshotMemory(w.ctx, "router-999", name); err == nil || !strings.Contains(err.Error(), `no VM named "router-999"`) {
		t.Errorf("snapshot of no VM: err = %v", err)
	}
}
