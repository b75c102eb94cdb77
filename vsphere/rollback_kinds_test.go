package vsphere_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// fixedWorld applies opts' plan on top and returns the world and backup.
func fixedWorld(t *testing.T, top sim.Topology, opts fix.Options) (*fixWorld, change.Backup) {
	t.Helper()
	w := newFixWorld(t, top)
	b := w.backup(w.plan(opts))
	if err := w.s.Apply(w.ctx, b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return w, b
}

// target returns the backup's first object of kind.
func target(t *testing.T, b change.Backup, kind change.Kind) change.Target {
	t.Helper()
	for _, o := range b.Objects {
		if o.Target.Kind == kind {
			return o.Target
		}
	}
	t.Fatalf("the backup holds no %s", kind)
	return change.Target{}
}

func vmRef(t change.Target) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VirtualMachine", Value: t.Ref}
}

// nic reads a VM's network adapter.
func nic(t *testing.T, w *fixWorld, tg change.Target) types.BaseVirtualDevice {
	t.Helper()
	var vm mo.VirtualMachine
	if err := object.NewVirtualMachine(w.s.Client(), vmRef(tg)).Properties(w.ctx, vmRef(tg), []string{"config.hardware.device"}, &vm); err != nil {
		t.Fatal(err)
	}
	for _, d := range vm.Config.Hardware.Device {
		if d.GetVirtualDevice().Key == tg.NICKey {
			return d
		}
	}
	t.Fatalf("%s: no NIC %d", tg, tg.NICKey)
	return nil
}

func editNIC(t *testing.T, w *fixWorld, tg change.Target, edit func(*types.VirtualEthernetCard)) {
	t.Helper()
	d := nic(t, w, tg)
	edit(d.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard())
	if err := object.NewVirtualMachine(w.s.Client(), vmRef(tg)).EditDevice(w.ctx, d); err != nil {
		t.Fatalf("edit %s: %v", tg, err)
	}
}

// dvPort reads a distributed portgroup's configuration.
func dvConfig(t *testing.T, w *fixWorld, tg change.Target) types.DVPortgroupConfigInfo {
	t.Helper()
	ref := types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: tg.Ref}
	var pg mo.DistributedVirtualPortgroup
	if err := object.NewDistributedVirtualPortgroup(w.s.Client(), ref).Properties(w.ctx, ref, []string{"config"}, &pg); err != nil {
		t.Fatal(err)
	}
	return pg.Config
}

// editDV rewrites a distributed portgroup's default port setting as a
// careful client does: the whole current setting, one field changed, at
// the current configVersion.
func editDV(t *testing.T, w *fixWorld, tg change.Target, edit func(*types.VMwareDVSPortSetting)) {
	t.Helper()
	cfg := dvConfig(t, w, tg)
	port := cfg.DefaultPortConfig.(*types.VMwareDVSPortSetting)
	edit(port)
	ref := types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: tg.Ref}
	task, err := object.NewDistributedVirtualPortgroup(w.s.Client(), ref).Reconfigure(w.ctx, types.DVPortgroupConfigSpec{
		ConfigVersion: cfg.ConfigVersion, Name: cfg.Name, NumPorts: cfg.NumPorts, Type: cfg.Type, DefaultPortConfig: port, Policy: cfg.Policy,
	})
	if err == nil {
		err = task.Wait(w.ctx)
	}
	if err != nil {
		t.Fatalf("reconfigure %s: %v", tg, err)
	}
}

func vlanOf(p *types.VMwareDVSPortSetting) int32 {
	if v, ok := p.Vlan.(*types.VmwareDistributedVirtualSwitchVlanIdSpec); ok {
		return v.VlanId
	}
	return -1
}

// TestRollbackKeepsLaterChangesEachKind: on a NIC and a distributed
// portgroup, a field the fix did not set, changed after it (the NIC's
// start-connected flag, the portgroup's VLAN), survives the rollback,
// which restores the fix's fields (MAC, security).
func TestRollbackKeepsLaterChangesEachKind(t *testing.T) {
	t.Run("vm nic", func(t *testing.T) {
		w, b := fixedWorld(t, everyStepTopology(), fix.Options{SetVMAC: true})
		tg := target(t, b, change.KindVMNIC)
		saved, _ := b.Object(tg.Key())
		var before types.BaseVirtualDevice
		if err := types.NewJSONDecoder(strings.NewReader(string(saved.Spec))).Decode(&before); err != nil {
			t.Fatal(err)
		}
		editNIC(t, w, tg, func(e *types.VirtualEthernetCard) {
			if e.Connectable == nil {
				e.Connectable = &types.VirtualDeviceConnectInfo{}
			}
			e.Connectable.StartConnected = !e.Connectable.StartConnected
		})
		later := nic(t, w, tg).GetVirtualDevice().Connectable.StartConnected
		if err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{}); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		got := nic(t, w, tg).(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		want := before.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		if got.MacAddress != want.MacAddress || got.AddressType != want.AddressType {
			t.Errorf("MAC after rollback = %s (%s), want %s (%s)", got.MacAddress, got.AddressType, want.MacAddress, want.AddressType)
		}
		if got.Connectable.StartConnected != later {
			t.Errorf("start-connected after rollback = %v, want %v as set after the fix", got.Connectable.StartConnected, later)
		}
	})
	t.Run("dvportgroup", func(t *testing.T) {
		w, b := fixedWorld(t, rejectingDVS(), fix.Options{})
		tg := target(t, b, change.KindDVPortgroup)
		before := dvConfig(t, w, tg) // after the fix
		editDV(t, w, tg, func(p *types.VMwareDVSPortSetting) {
			p.Vlan = &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: 42}
		})
		if err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{}); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		got := dvConfig(t, w, tg).DefaultPortConfig.(*types.VMwareDVSPortSetting)
		if vlanOf(got) != 42 {
			t.Errorf("VLAN after rollback = %d, want 42 (set after the fix); it was %d", vlanOf(got), vlanOf(before.DefaultPortConfig.(*types.VMwareDVSPortSetting)))
		}
		if mm := got.MacManagementPolicy; mm == nil || !mm.Inherited {
			t.Errorf("MAC management policy after rollback = %s, want inherited again as before the fix", fixJSON(t, mm))
		}
	})
}

// TestRollbackConflictEachKind: a field the fix set, changed since to a
// third value (a NIC's MAC, the DRS rule the fix added disabled), makes the
// rollback refuse, naming each (object, field, value now, value it would
// write), and write nothing. (A host option or a distributed portgroup's
// security field had an explicit value before the fix: changed since, it
// holds either the fix's value or the backup's, never a third.)
func TestRollbackConflictEachKind(t *testing.T) {
	t.Run("standard", func(t *testing.T) {
		w, b := fixedWorld(t, everyStepTopology(), fix.Options{SetVMAC: true})
		c := w.s.Client()
		nicT := target(t, b, change.KindVMNIC)
		editNIC(t, w, nicT, func(e *types.VirtualEthernetCard) { e.MacAddress = "02:00:00:11:22:33" })
		rule := target(t, b, change.KindClusterRule)
		cref := types.ManagedObjectReference{Type: "ClusterComputeResource", Value: rule.ClusterRef}
		var cl mo.ClusterComputeResource
		if err := object.NewClusterComputeResource(c, cref).Properties(w.ctx, cref, []string{"configurationEx"}, &cl); err != nil {
			t.Fatal(err)
		}
		for _, r := range cl.ConfigurationEx.(*types.ClusterConfigInfoEx).Rule {
			if r.GetClusterRuleInfo().Name == rule.Name {
				r.GetClusterRuleInfo().Enabled = types.NewBool(false)
				task, err := object.NewClusterComputeResource(c, cref).Reconfigure(w.ctx, &types.ClusterConfigSpecEx{RulesSpec: []types.ClusterRuleSpec{
					{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationEdit}, Info: r}}}, true)
				if err == nil {
					err = task.Wait(w.ctx)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		wantRefused(t, w, b, []string{
			nicT.String() + ": field macAddress is now \"02:00:00:11:22:33\", would write",
			rule.String() + " rule " + rule.Name + ": field enabled is now false, would write unset (the fix added the rule: rollback removes it)",
		})
	})
}

// wantRefused rolls back, wants a ConflictError saying each of want, and
// the inventory untouched.
func wantRefused(t *testing.T, w *fixWorld, b change.Backup, want []string) {
	t.Helper()
	state := w.state(t)
	err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{})
	var ce *vsphere.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Rollback: err = %v, want a ConflictError", err)
	}
	t.Logf("refused: %v", err)
	for _, s := range want {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the refusal does not say %q", s)
		}
	}
	if d := sim.DiffState(state, w.state(t)); len(d) > 0 {
		t.Errorf("a refused rollback changed the inventory:\n%s", strings.Join(d, "\n"))
	}
}
