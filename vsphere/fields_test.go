package vsphere_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere/sim"
)

func fixJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFixKeepsOtherFields: a fix rewrites a portgroup's whole spec with
// only the one security field changed: VLAN, teaming, shaping, offload and
// the other security fields (set or nil) survive exactly.
func TestFixKeepsOtherFields(t *testing.T) {
	top := sim.Default()
	top.Hosts[0].VSwitches[0].Uplinks = []string{"vmnic0", "vmnic1"}
	w := newFixWorld(t, top).twoWrites() // Public, without its vmac, needs promiscuous mode
	c := w.s.Client()
	host, err := find.NewFinder(c).HostSystem(w.ctx, "esxi-01")
	if err != nil {
		t.Fatalf("find host: %v", err)
	}
	ns, err := host.ConfigManager().NetworkSystem(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	custom := types.HostPortGroupSpec{
		Name: sim.PortgroupPublic, VlanId: 42, VswitchName: "vSwitch0",
		Policy: types.HostNetworkPolicy{
			Security: &types.HostNetworkSecurityPolicy{ForgedTransmits: types.NewBool(true)}, // MAC changes and promiscuous inherited (nil)
			NicTeaming: &types.HostNicTeamingPolicy{
				Policy:   "failover_explicit",
				NicOrder: &types.HostNicOrderPolicy{ActiveNic: []string{"vmnic1"}, StandbyNic: []string{"vmnic0"}},
			},
			ShapingPolicy: &types.HostNetworkTrafficShapingPolicy{Enabled: types.NewBool(true), AverageBandwidth: 100000, PeakBandwidth: 200000, BurstSize: 102400},
			OffloadPolicy: &types.HostNetOffloadCapabilities{TcpSegmentation: types.NewBool(false)},
		},
	}
	if err := ns.UpdatePortGroup(w.ctx, sim.PortgroupPublic, custom); err != nil {
		t.Fatal(err)
	}
	p := w.plan(fix.Options{})
	if err := w.s.Apply(w.ctx, w.backup(p)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var hs mo.HostSystem
	if err := object.NewHostSystem(c, host.Reference()).Properties(w.ctx, host.Reference(), []string{"config.network.portgroup"}, &hs); err != nil {
		t.Fatal(err)
	}
	want := custom
	want.Policy.Security = &types.HostNetworkSecurityPolicy{AllowPromiscuous: types.NewBool(true), ForgedTransmits: types.NewBool(true)}
	for _, pg := range hs.Config.Network.Portgroup {
		if pg.Spec.Name == sim.PortgroupPublic {
			if got, w := fixJSON(t, pg.Spec), fixJSON(t, want); got != w {
				t.Errorf("Public after the fix:\n got  %s\n want %s", got, w)
			}
			return
		}
	}
	t.Fatal("Public not found after the fix")
}

// TestFixKeepsDVSFields: a distributed portgroup keeps its VLAN and teaming,
// and the settings it did not need changed; the ones set are explicit
// (inherited: false).
func TestFixKeepsDVSFields(t *testing.T) {
	w := newFixWorld(t, rejectingDVS()).twoWrites()
	read := func() map[string]*types.VMwareDVSPortSetting {
		var pgs []mo.DistributedVirtualPortgroup
		v, err := fixView(w, "DistributedVirtualPortgroup")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = v.Destroy(w.ctx) }()
		if err := v.Retrieve(w.ctx, []string{"DistributedVirtualPortgroup"}, []string{"config"}, &pgs); err != nil {
			t.Fatal(err)
		}
		out := map[string]*types.VMwareDVSPortSetting{}
		for _, pg := range pgs {
			out[pg.Config.Name] = pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
		}
		return out
	}
	before := read()
	p := w.plan(fix.Options{})
	if err := w.s.Apply(w.ctx, w.backup(p)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	after := read()
	for _, name := range []string{sim.PortgroupInternal, sim.PortgroupPublic} {
		b, a := before[name], after[name]
		if fixJSON(t, a.Vlan) != fixJSON(t, b.Vlan) || fixJSON(t, a.UplinkTeamingPolicy) != fixJSON(t, b.UplinkTeamingPolicy) {
			t.Errorf("%s: VLAN or teaming changed:\n before %s %s\n after  %s %s", name,
				fixJSON(t, b.Vlan), fixJSON(t, b.UplinkTeamingPolicy), fixJSON(t, a.Vlan), fixJSON(t, a.UplinkTeamingPolicy))
		}
		mm := a.MacManagementPolicy
		if mm == nil || mm.Inherited || mm.AllowPromiscuous == nil || !*mm.AllowPromiscuous || !*mm.MacChanges || !*mm.ForgedTransmits {
			t.Errorf("%s: MAC management policy after the fix = %s, want explicit Accept", name, fixJSON(t, mm))
		}
		if fixJSON(t, a.MacManagementPolicy.MacLearningPolicy) != fixJSON(t, b.MacManagementPolicy.MacLearningPolicy) {
			t.Errorf("%s: MAC learning policy changed", name)
		}
		if fixJSON(t, a.SecurityPolicy) != fixJSON(t, b.SecurityPolicy) {
			t.Errorf("%s: security policy changed though the MAC management policy supersedes it", name)
		}
	}
	if !strings.Contains(fixJSON(t, p.Changes), "inherited: false") {
		t.Errorf("the plan does not tell the DVS settings are sent explicitly")
	}
}
