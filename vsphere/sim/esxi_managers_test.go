package sim_test

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

// TestHostVsanSystemAnswers: every host's configManager.vsanSystem is an
// object of its own that answers QueryHostStatus as an ESXi host outside a
// vSAN cluster does (health unknown, node disabled) and reads as vSAN
// disabled; Ansible's vmware_host_facts asks it. vcsim names one
// HostVsanSystem:vsanSystem for every host and has no such object.
func TestHostVsanSystemAnswers(t *testing.T) {
	_, c := start(t, sim.Cluster(2, false))
	ctx := context.Background()
	seen := map[types.ManagedObjectReference]string{}
	for _, name := range []string{"esxi-01", "esxi-02"} {
		var h mo.HostSystem
		if err := hostSystem(t, c, name).Properties(ctx, hostSystem(t, c, name).Reference(), []string{"configManager.vsanSystem"}, &h); err != nil {
			t.Fatal(err)
		}
		ref := h.ConfigManager.VsanSystem
		if ref == nil {
			t.Fatalf("%s has no configManager.vsanSystem", name)
		}
		if other, ok := seen[*ref]; ok {
			t.Errorf("%s and %s share vsanSystem %s", name, other, ref.Value)
		}
		seen[*ref] = name
		res, err := methods.QueryHostStatus(ctx, c, &types.QueryHostStatus{This: *ref})
		if err != nil {
			t.Fatalf("%s: QueryHostStatus: %v", name, err)
		}
		if got := res.Returnval; got.Health != string(types.VsanHostHealthStateUnknown) ||
			got.NodeState.State != string(types.VsanHostNodeStateDisabled) || got.Uuid != "" {
			t.Errorf("%s: QueryHostStatus %+v, want health unknown, node disabled, no cluster", name, got)
		}
		var vs mo.HostVsanSystem
		if err := property.DefaultCollector(c).RetrieveOne(ctx, *ref, []string{"config"}, &vs); err != nil {
			t.Fatalf("%s: vsanSystem config: %v", name, err)
		}
		if vs.Config.Enabled == nil || *vs.Config.Enabled || vs.Config.HostSystem == nil || vs.Config.HostSystem.Value != hostSystem(t, c, name).Reference().Value {
			t.Errorf("%s: vsanSystem config %+v, want disabled, naming the host", name, vs.Config)
		}
	}
}

// TestVSwitchFailureCriteria: a vSwitch's teaming has ESXi's failure
// detection (link status only, no beacon), which Ansible's
// vmware_vswitch_info reads unguarded.
func TestVSwitchFailureCriteria(t *testing.T) {
	_, c := start(t, sim.Default())
	info := hostNetwork(t, c, hostSystem(t, c, "esxi-01"))
	for _, name := range []string{"vSwitch0", "vSwitch1"} {
		vs := vswitch(t, info, name)
		f := vs.Spec.Policy.NicTeaming.FailureCriteria
		if f == nil {
			t.Fatalf("%s: no nicTeaming.failureCriteria", name)
		}
		if f.CheckBeacon == nil || *f.CheckBeacon || f.CheckSpeed != "minimum" || f.Speed != 10 ||
			f.CheckDuplex == nil || *f.CheckDuplex || f.CheckErrorPercent == nil || *f.CheckErrorPercent {
			t.Errorf("%s: failure criteria %+v, want ESXi's (minimum speed 10, no duplex, error or beacon check)", name, *f)
		}
	}
}

// TestHostOptionsSupported: a host's advanced-option manager lists every
// option it holds in supportedOption, with its type, as ESXi does
// (Net.ReversePathFwdCheckPromisc a long from 0 to 1); Ansible's
// vmware_host_config_manager refuses an option not listed there.
func TestHostOptionsSupported(t *testing.T) {
	_, c := start(t, sim.Default())
	ctx := context.Background()
	h := hostSystem(t, c, "esxi-01")
	var hs mo.HostSystem
	if err := h.Properties(ctx, h.Reference(), []string{"configManager.advancedOption"}, &hs); err != nil {
		t.Fatal(err)
	}
	var om mo.OptionManager
	if err := property.DefaultCollector(c).RetrieveOne(ctx, *hs.ConfigManager.AdvancedOption, []string{"setting", "supportedOption"}, &om); err != nil {
		t.Fatal(err)
	}
	defs := map[string]types.BaseOptionType{}
	for _, d := range om.SupportedOption {
		defs[d.Key] = d.OptionType
	}
	for _, s := range om.Setting {
		if _, ok := defs[s.GetOptionValue().Key]; !ok {
			t.Errorf("setting %s is not in supportedOption", s.GetOptionValue().Key)
		}
	}
	long, ok := defs[sim.OptionReversePathFwdCheckPromisc].(*types.LongOption)
	if !ok {
		t.Fatalf("%s: option type %T, want a LongOption", sim.OptionReversePathFwdCheckPromisc, defs[sim.OptionReversePathFwdCheckPromisc])
	}
	if long.Min != 0 || long.Max != 1 {
		t.Errorf("%s: range %d..%d, want 0..1", sim.OptionReversePathFwdCheckPromisc, long.Min, long.Max)
	}
}

// TestDVPortgroupTeaming: a distributed portgroup's default port teaming
// has every field vCenter reports (policy, inbound policy, notify
// switches, failback), inherited from the switch; Ansible's
// vmware_dvs_portgroup_info reads them unguarded.
func TestDVPortgroupTeaming(t *testing.T) {
	_, c := start(t, sim.Distributed(false))
	ctx := context.Background()
	pg, err := find.NewFinder(c).Network(ctx, sim.PortgroupInternal)
	if err != nil {
		t.Fatal(err)
	}
	var dvpg mo.DistributedVirtualPortgroup
	if err := property.DefaultCollector(c).RetrieveOne(ctx, pg.Reference(), []string{"config.defaultPortConfig"}, &dvpg); err != nil {
		t.Fatal(err)
	}
	tp := dvpg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting).UplinkTeamingPolicy
	if tp == nil || tp.Policy == nil || tp.Policy.Value != "loadbalance_srcid" || tp.ReversePolicy == nil || tp.NotifySwitches == nil ||
		tp.RollingOrder == nil || tp.FailureCriteria == nil || tp.UplinkPortOrder == nil || !tp.Inherited {
		t.Errorf("teaming %+v: want every field, inherited", tp)
	}
}
