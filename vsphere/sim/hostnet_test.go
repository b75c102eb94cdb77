package sim_test

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

func TestDefaultNetworkIsESXiDefault(t *testing.T) {
	_, c := start(t, sim.Default())
	info := hostNetwork(t, c, hostSystem(t, c, "esxi-01"))

	vs0 := vswitch(t, info, "vSwitch0")
	if got := vs0.Spec.Bridge.(*types.HostVirtualSwitchBondBridge).NicDevice; len(got) != 1 || got[0] != "vmnic0" {
		t.Errorf("vSwitch0 uplinks %v, want [vmnic0]", got)
	}
	if vs1 := vswitch(t, info, "vSwitch1"); vs1.Spec.Bridge != nil || len(vs1.Pnic) != 0 {
		t.Errorf("vSwitch1 has uplinks %v, want an internal switch", vs1.Pnic)
	}
	for _, name := range []string{sim.PortgroupPublic, sim.PortgroupInternal} {
		pg := portgroup(t, info, name)
		wantSecurity(t, name+" override", pg.Spec.Policy.Security, "unset", "unset", "unset")
		wantSecurity(t, name+" computed", pg.ComputedPolicy.Security, "Reject", "Accept", "Accept")
	}
}

func TestUpdatePortGroupWholeSpec(t *testing.T) {
	_, c := start(t, sim.Default())
	ctx := context.Background()
	h := hostSystem(t, c, "esxi-01")
	ns, err := h.ConfigManager().NetworkSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Override promiscuous only, with a VLAN and a teaming order.
	spec := types.HostPortGroupSpec{
		Name: sim.PortgroupPublic, VswitchName: "vSwitch0", VlanId: 10,
		Policy: types.HostNetworkPolicy{Security: &types.HostNetworkSecurityPolicy{AllowPromiscuous: b(true)}},
	}
	if err := ns.UpdatePortGroup(ctx, sim.PortgroupPublic, spec); err != nil {
		t.Fatalf("UpdatePortGroup: %v", err)
	}
	pg := portgroup(t, hostNetwork(t, c, h), sim.PortgroupPublic)
	wantSecurity(t, "override", pg.Spec.Policy.Security, "Accept", "unset", "unset")
	wantSecurity(t, "computed", pg.ComputedPolicy.Security, "Accept", "Accept", "Accept")
	if pg.Spec.VlanId != 10 {
		t.Errorf("VLAN %d, want 10", pg.Spec.VlanId)
	}

	// A spec without security or VLAN replaces the old one whole: the
	// override and the VLAN are gone, the vSwitch's values apply again.
	if err := ns.UpdatePortGroup(ctx, sim.PortgroupPublic, types.HostPortGroupSpec{Name: sim.PortgroupPublic, VswitchName: "vSwitch0"}); err != nil {
		t.Fatalf("UpdatePortGroup: %v", err)
	}
	pg = portgroup(t, hostNetwork(t, c, h), sim.PortgroupPublic)
	if pg.Spec.Policy.Security != nil && pg.Spec.Policy.Security.AllowPromiscuous != nil {
		t.Errorf("override kept after a whole-spec update: %v", str(pg.Spec.Policy.Security.AllowPromiscuous))
	}
	if pg.Spec.VlanId != 0 {
		t.Errorf("VLAN %d kept after a whole-spec update, want 0", pg.Spec.VlanId)
	}
	wantSecurity(t, "computed after reset", pg.ComputedPolicy.Security, "Reject", "Accept", "Accept")

	// Moving it to vSwitch1 inherits vSwitch1's policy and uplinks (none).
	if err := ns.UpdatePortGroup(ctx, sim.PortgroupPublic, types.HostPortGroupSpec{Name: sim.PortgroupPublic, VswitchName: "vSwitch1"}); err != nil {
		t.Fatalf("move portgroup: %v", err)
	}
	info := hostNetwork(t, c, h)
	if pg := portgroup(t, info, sim.PortgroupPublic); pg.Vswitch != "key-vim.host.VirtualSwitch-vSwitch1" || len(pg.ComputedPolicy.NicTeaming.NicOrder.ActiveNic) != 0 {
		t.Errorf("moved portgroup on %s with active NICs %v", pg.Vswitch, pg.ComputedPolicy.NicTeaming.NicOrder.ActiveNic)
	}
	if vs0 := vswitch(t, info, "vSwitch0"); contains(vs0.Portgroup, "key-vim.host.PortGroup-"+sim.PortgroupPublic) {
		t.Errorf("vSwitch0 still lists the moved portgroup: %v", vs0.Portgroup)
	}
}

func TestUpdateVirtualSwitchRecomputesPortgroups(t *testing.T) {
	_, c := start(t, sim.PortgroupOverrides())
	ctx := context.Background()
	h := hostSystem(t, c, "esxi-01")
	ns, err := h.ConfigManager().NetworkSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// vSwitch1: reject MAC changes, forged transmits; team two uplinks.
	spec := types.HostVirtualSwitchSpec{
		NumPorts: 128,
		Bridge:   &types.HostVirtualSwitchBondBridge{NicDevice: []string{"vmnic1", "vmnic2"}},
		Policy: &types.HostNetworkPolicy{
			Security: &types.HostNetworkSecurityPolicy{AllowPromiscuous: b(false), MacChanges: b(false), ForgedTransmits: b(false)},
		},
	}
	// vmnic2 does not exist on a 2-NIC host.
	if err := ns.UpdateVirtualSwitch(ctx, "vSwitch1", spec); !isFault[*types.NotFound](err) {
		t.Fatalf("unknown physical NIC: got %v, want NotFound", err)
	}
	spec.Bridge = &types.HostVirtualSwitchBondBridge{NicDevice: []string{"vmnic1"}}
	if err := ns.UpdateVirtualSwitch(ctx, "vSwitch1", spec); err != nil {
		t.Fatalf("UpdateVirtualSwitch: %v", err)
	}
	info := hostNetwork(t, c, h)
	// IntraNought overrides promiscuous (Accept) and inherits the rest.
	pg := portgroup(t, info, sim.PortgroupInternal)
	wantSecurity(t, "IntraNought computed", pg.ComputedPolicy.Security, "Accept", "Reject", "Reject")
	if got := pg.ComputedPolicy.NicTeaming.NicOrder.ActiveNic; len(got) != 1 || got[0] != "vmnic1" {
		t.Errorf("IntraNought active uplinks %v, want [vmnic1] (every bonded NIC by default)", got)
	}
	// Public on vSwitch0 is untouched.
	wantSecurity(t, "Public computed", portgroup(t, info, sim.PortgroupPublic).ComputedPolicy.Security, "Accept", "Accept", "Accept")

	// Whole spec: no policy at all means ESXi's defaults, not the old values.
	if err := ns.UpdateVirtualSwitch(ctx, "vSwitch1", types.HostVirtualSwitchSpec{NumPorts: 128}); err != nil {
		t.Fatalf("UpdateVirtualSwitch: %v", err)
	}
	info = hostNetwork(t, c, h)
	wantSecurity(t, "vSwitch1 after reset", vswitch(t, info, "vSwitch1").Spec.Policy.Security, "Reject", "Accept", "Accept")
	wantSecurity(t, "IntraNought after reset", portgroup(t, info, sim.PortgroupInternal).ComputedPolicy.Security, "Accept", "Accept", "Accept")
	if vs1 := vswitch(t, info, "vSwitch1"); len(vs1.Pnic) != 0 {
		t.Errorf("vSwitch1 kept uplinks %v after a spec without bridge", vs1.Pnic)
	}
}

func TestTeamedActiveUplinks(t *testing.T) {
	_, c := start(t, sim.Teamed())
	info := hostNetwork(t, c, hostSystem(t, c, "esxi-01"))
	pg := portgroup(t, info, sim.PortgroupPublic)
	if got := pg.ComputedPolicy.NicTeaming.NicOrder.ActiveNic; len(got) != 2 {
		t.Errorf("Public active uplinks %v, want vmnic0 and vmnic1", got)
	}
	wantSecurity(t, "Public computed", pg.ComputedPolicy.Security, "Accept", "Accept", "Accept")
}

// isFault reports whether err carries a vSphere fault of type F.
func isFault[F types.BaseMethodFault](err error) bool {
	var f F
	_, ok := fault.As(err, &f)
	return ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestHostNetworkFaults(t *testing.T) {
	_, c := start(t, sim.Default())
	ctx := context.Background()
	h := hostSystem(t, c, "esxi-01")
	ns, err := h.ConfigManager().NetworkSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pg := func(name, vs string, vlan int32) types.HostPortGroupSpec {
		return types.HostPortGroupSpec{Name: name, VswitchName: vs, VlanId: vlan}
	}
	tests := []struct {
		name  string
		call  func() error
		check func(error) bool
		want  string
	}{
		{"update unknown portgroup", func() error { return ns.UpdatePortGroup(ctx, "Nope", pg("Nope", "vSwitch0", 0)) }, isFault[*types.NotFound], "NotFound"},
		{"rename onto an existing name", func() error { return ns.UpdatePortGroup(ctx, sim.PortgroupPublic, pg("VM Network", "vSwitch0", 0)) }, isFault[*types.AlreadyExists], "AlreadyExists"},
		{"update onto unknown vSwitch", func() error {
			return ns.UpdatePortGroup(ctx, sim.PortgroupPublic, pg(sim.PortgroupPublic, "vSwitch9", 0))
		}, isFault[*types.NotFound], "NotFound"},
		{"VLAN out of range", func() error {
			return ns.UpdatePortGroup(ctx, sim.PortgroupPublic, pg(sim.PortgroupPublic, "vSwitch0", 5000))
		}, isFault[*types.InvalidArgument], "InvalidArgument"},
		{"add existing portgroup", func() error { return ns.AddPortGroup(ctx, pg(sim.PortgroupInternal, "vSwitch1", 0)) }, isFault[*types.AlreadyExists], "AlreadyExists"},
		{"remove portgroup in use", func() error { return ns.RemovePortGroup(ctx, sim.PortgroupPublic) }, isFault[*types.ResourceInUse], "ResourceInUse"},
		{"update unknown vSwitch", func() error { return ns.UpdateVirtualSwitch(ctx, "vSwitch9", types.HostVirtualSwitchSpec{}) }, isFault[*types.NotFound], "NotFound"},
		{"NIC bonded to another vSwitch", func() error {
			return ns.UpdateVirtualSwitch(ctx, "vSwitch1", types.HostVirtualSwitchSpec{Bridge: &types.HostVirtualSwitchBondBridge{NicDevice: []string{"vmnic0"}}})
		}, isFault[*types.ResourceInUse], "ResourceInUse"},
		{"active NIC not bonded", func() error {
			return ns.UpdateVirtualSwitch(ctx, "vSwitch1", types.HostVirtualSwitchSpec{
				Bridge: &types.HostVirtualSwitchBondBridge{NicDevice: []string{"vmnic1"}},
				Policy: &types.HostNetworkPolicy{NicTeaming: &types.HostNicTeamingPolicy{NicOrder: &types.HostNicOrderPolicy{ActiveNic: []string{"vmnic0"}}}},
			})
		}, isFault[*types.InvalidArgument], "InvalidArgument"},
		{"add existing vSwitch", func() error { return ns.AddVirtualSwitch(ctx, "vSwitch0", nil) }, isFault[*types.AlreadyExists], "AlreadyExists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !tt.check(err) {
				t.Errorf("got %v, want a %s fault", err, tt.want)
			}
		})
	}
	// Nothing above changed the host.
	wantSecurity(t, "Public computed", portgroup(t, hostNetwork(t, c, h), sim.PortgroupPublic).ComputedPolicy.Security, "Reject", "Accept", "Accept")
}

func TestRenamePortgroupMovesNetwork(t *testing.T) {
	_, c := start(t, sim.Default())
	ctx := context.Background()
	h := hostSystem(t, c, "esxi-01")
	ns, err := h.ConfigManager().NetworkSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.UpdatePortGroup(ctx, "VM Network", types.HostPortGroupSpec{Name: "Guests", VswitchName: "vSwitch0"}); err != nil {
		t.Fatalf("rename: %v", err)
	}
	info := hostNetwork(t, c, h)
	if p := portgroup(t, info, "Guests"); p.Key != "key-vim.host.PortGroup-Guests" {
		t.Errorf("renamed portgroup key %q", p.Key)
	}
	f := find.NewFinder(c, false)
	if _, err := f.Network(ctx, "/"+sim.DefaultDatacenter+"/network/Guests"); err != nil {
		t.Errorf("no Network object for the new name: %v", err)
	}
	if _, err := f.Network(ctx, "/"+sim.DefaultDatacenter+"/network/VM Network"); err == nil {
		t.Errorf("the old Network object is still there with no host left")
	}
}

// Portgroups of one name on several hosts share one Network object, as in
// vCenter, and every host lists it.
func TestSharedNetworkAcrossHosts(t *testing.T) {
	_, c := start(t, sim.Cluster(3, false))
	ctx := context.Background()
	nets, err := find.NewFinder(c, false).NetworkList(ctx, "/"+sim.DefaultDatacenter+"/network/"+sim.PortgroupPublic)
	if err != nil || len(nets) != 1 {
		t.Fatalf("networks named Public: %d (%v), want 1", len(nets), err)
	}
}
