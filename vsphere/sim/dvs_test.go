package sim_test

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

// TestDVPortgroupConfigVersion: a client's ReconfigureDVPortgroup_Task is
// checked against the portgroup's configVersion as on vCenter (a stale one
// fails with ConcurrentAccess and changes nothing; a current one applies,
// keeps the fields the spec leaves out and bumps the version), while vcsim
// still lists the switch's ports (FetchDVPorts) and finds the portgroup by
// key (DVSManagerLookupDvPortGroup), which type-assert its own portgroups.
func TestDVPortgroupConfigVersion(t *testing.T) {
	c, pg := internalDVPortgroup(t)
	ctx := context.Background()
	read := func() mo.DistributedVirtualPortgroup {
		t.Helper()
		var m mo.DistributedVirtualPortgroup
		if err := pg.Properties(ctx, pg.Reference(), []string{"key", "config"}, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	reconfigure := func(spec types.DVPortgroupConfigSpec) error {
		t.Helper()
		task, err := pg.Reconfigure(ctx, spec)
		if err != nil {
			return err
		}
		return task.Wait(ctx)
	}

	before := read()
	if before.Config.ConfigVersion != "1" {
		t.Fatalf("configVersion %q, want 1", before.Config.ConfigVersion)
	}
	err := reconfigure(types.DVPortgroupConfigSpec{ConfigVersion: "0", Description: "stale"})
	if !fault.Is(err, &types.ConcurrentAccess{}) {
		t.Fatalf("reconfigure with a stale configVersion: %v, want ConcurrentAccess", err)
	}
	if got := read().Config; got.Description == "stale" || got.ConfigVersion != "1" {
		t.Fatalf("a refused reconfiguration changed the portgroup: description %q, configVersion %q", got.Description, got.ConfigVersion)
	}
	if err := reconfigure(types.DVPortgroupConfigSpec{ConfigVersion: "1", Description: "routers"}); err != nil {
		t.Fatalf("reconfigure with the current configVersion: %v", err)
	}
	after := read()
	if after.Config.ConfigVersion != "2" || after.Config.Description != "routers" {
		t.Errorf("after reconfiguring: configVersion %q, description %q; want 2, routers", after.Config.ConfigVersion, after.Config.Description)
	}
	if after.Config.DefaultPortConfig == nil || after.Config.Name != sim.PortgroupInternal || after.Config.NumPorts != before.Config.NumPorts {
		t.Errorf("fields the spec left out were not kept: %+v", after.Config)
	}

	dvs := object.NewDistributedVirtualSwitch(c, *before.Config.DistributedVirtualSwitch)
	ports, err := dvs.FetchDVPorts(ctx, &types.DistributedVirtualSwitchPortCriteria{PortgroupKey: []string{before.Key}, Inside: types.NewBool(true)})
	if err != nil || len(ports) == 0 {
		t.Fatalf("FetchDVPorts: %d ports, %v", len(ports), err)
	}
	var sw mo.DistributedVirtualSwitch
	if err := dvs.Properties(ctx, dvs.Reference(), []string{"uuid"}, &sw); err != nil {
		t.Fatal(err)
	}
	res, err := methods.DVSManagerLookupDvPortGroup(ctx, c, &types.DVSManagerLookupDvPortGroup{
		This: *c.ServiceContent.DvSwitchManager, SwitchUuid: sw.Uuid, PortgroupKey: before.Key,
	})
	if err != nil || res.Returnval == nil || *res.Returnval != pg.Reference() {
		t.Errorf("DVSManagerLookupDvPortGroup(%s): %+v, %v; want %v", before.Key, res, err, pg.Reference())
	}
}

// TestDVPortgroupDestroyed: once a client destroys a distributed portgroup,
// its calls to it fail with ManagedObjectNotFound, as on vCenter.
func TestDVPortgroupDestroyed(t *testing.T) {
	_, c := start(t, sim.Distributed(false))
	ctx := context.Background()
	n, err := find.NewFinder(c, false).Network(ctx, "/"+sim.DefaultDatacenter+"/network/"+sim.PortgroupPublic)
	if err != nil {
		t.Fatal(err)
	}
	pg := n.(*object.DistributedVirtualPortgroup)
	reconfigure := func() error {
		task, err := pg.Reconfigure(ctx, types.DVPortgroupConfigSpec{ConfigVersion: "1", Description: "x"})
		if err != nil {
			return err
		}
		return task.Wait(ctx)
	}
	if err := reconfigure(); err != nil {
		t.Fatalf("reconfigure: %v", err)
	}
	task, err := pg.Destroy(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if err := reconfigure(); !fault.Is(err, &types.ManagedObjectNotFound{}) {
		t.Errorf("reconfigure a destroyed portgroup: %v, want ManagedObjectNotFound", err)
	}
}

// TestDVPortgroupReconfigureKeepsUnsetPolicies: a ReconfigureDVPortgroup
// spec's defaultPortConfig changes the policies it sets and keeps those
// it leaves unset, as vCenter merges them (Ansible's vmware_dvs_portgroup
// sends a MAC management policy and an uplink teaming policy without its
// reversePolicy or failureCriteria, and reads them back).
func TestDVPortgroupReconfigureKeepsUnsetPolicies(t *testing.T) {
	_, pg := internalDVPortgroup(t)
	ctx := context.Background()
	read := func() (*types.VMwareDVSPortSetting, string) {
		t.Helper()
		var m mo.DistributedVirtualPortgroup
		if err := pg.Properties(ctx, pg.Reference(), []string{"config"}, &m); err != nil {
			t.Fatal(err)
		}
		return m.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting), m.Config.ConfigVersion
	}
	before, version := read()
	if before.UplinkTeamingPolicy == nil || before.UplinkTeamingPolicy.ReversePolicy == nil || before.SecurityPolicy == nil || before.MacManagementPolicy == nil {
		t.Fatalf("the topology's portgroup lacks the policies this test needs: %+v", before)
	}
	spec := types.DVPortgroupConfigSpec{ConfigVersion: version, DefaultPortConfig: &types.VMwareDVSPortSetting{
		Vlan: &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: 0},
		MacManagementPolicy: &types.DVSMacManagementPolicy{
			AllowPromiscuous: types.NewBool(false), MacChanges: types.NewBool(true), ForgedTransmits: types.NewBool(true),
		},
		UplinkTeamingPolicy: &types.VmwareUplinkPortTeamingPolicy{
			Policy: &types.StringPolicy{Value: "loadbalance_srcid"}, NotifySwitches: &types.BoolPolicy{Value: types.NewBool(true)},
		},
	}}
	task, err := pg.Reconfigure(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := read()
	if mm := after.MacManagementPolicy; mm == nil || mm.AllowPromiscuous == nil || *mm.AllowPromiscuous {
		t.Errorf("macManagementPolicy %+v, want the spec's (promiscuous Reject)", mm)
	}
	if mm := after.MacManagementPolicy; mm != nil && mm.MacLearningPolicy == nil && before.MacManagementPolicy.MacLearningPolicy != nil {
		t.Errorf("the MAC learning policy the spec left unset was dropped")
	}
	tp := after.UplinkTeamingPolicy
	if tp == nil || tp.Policy == nil || tp.Policy.Value != "loadbalance_srcid" {
		t.Fatalf("uplinkTeamingPolicy %+v, want the spec's policy", tp)
	}
	if tp.ReversePolicy == nil || tp.FailureCriteria == nil || tp.RollingOrder == nil {
		t.Errorf("the teaming fields the spec left unset were dropped: reversePolicy %v, failureCriteria %v, rollingOrder %v",
			tp.ReversePolicy, tp.FailureCriteria, tp.RollingOrder)
	}
	if after.SecurityPolicy == nil {
		t.Errorf("the security policy the spec left unset was dropped")
	}
}

// internalDVPortgroup serves the distributed topology and finds its
// IntraNought portgroup.
func internalDVPortgroup(t *testing.T) (*vim25.Client, *object.DistributedVirtualPortgroup) {
	t.Helper()
	_, c := start(t, sim.Distributed(false))
	n, err := find.NewFinder(c, false).Network(context.Background(), "/"+sim.DefaultDatacenter+"/network/"+sim.PortgroupInternal)
	if err != nil {
		t.Fatal(err)
	}
	return c, n.(*object.DistributedVirtualPortgroup)
}
