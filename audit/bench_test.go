package audit

import (
	"fmt"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

func boolp(b bool) *bool { return &b }

// largeInventory is a vCenter at the sizes vSphere 8 allows (2,500 hosts,
// 40,000 VMs): every host with the typical user's two vSwitches and four
// portgroups at the ESXi defaults, the router portgroups overriding what
// CARP needs (all three on IntraNought, two on Public); 16 VMs per host on VM Network; 10 distributed
// portgroups.
func largeInventory(hosts, vmsPerHost int) *facts.Inventory {
	inv := &facts.Inventory{Target: "bench"}
	def := facts.Security{Promiscuous: boolp(false), MacChanges: boolp(true), ForgedTransmits: boolp(true)}
	all := facts.Security{Promiscuous: boolp(true), MacChanges: boolp(true), ForgedTransmits: boolp(true)}
	public := facts.Security{MacChanges: boolp(true), ForgedTransmits: boolp(true)} // its vmac needs no promiscuous mode
	for i := range hosts {
		h := facts.Host{Name: fmt.Sprintf("esxi-%04d", i),
			VSwitches: []facts.VSwitch{{Name: "vSwitch0", Security: def}, {Name: "vSwitch1", Security: def}},
			Portgroups: []facts.Portgroup{
				{Name: "VM Network", VSwitch: "vSwitch0", Computed: def},
				{Name: "Management Network", VSwitch: "vSwitch0", Computed: def},
				{Name: "Public", VSwitch: "vSwitch0", Override: public, Computed: def},
				{Name: "IntraNought", VSwitch: "vSwitch1", Override: all, Computed: all},
			}}
		inv.Hosts = append(inv.Hosts, h)
		for j := range vmsPerHost {
			inv.VMs = append(inv.VMs, facts.InventoryVM{Name: fmt.Sprintf("vm-%04d-%02d", i, j), Host: h.Name,
				Networks: []facts.VMNetwork{{Name: "VM Network", Kind: facts.KindStandard}}})
		}
	}
	set := func(v bool) facts.Setting { return facts.Setting{Value: v, Set: true} }
	for i := range 10 {
		inv.DVPortgroups = append(inv.DVPortgroups, facts.DVPortgroup{Name: fmt.Sprintf("dvpg-%02d", i), Switch: "DSwitch",
			Security:       facts.DVSecurity{Promiscuous: set(false), MacChanges: set(false), ForgedTransmits: set(i == 0)},
			SwitchSecurity: facts.DVSecurity{Promiscuous: set(false), MacChanges: set(false), ForgedTransmits: set(false)}})
	}
	inv.VMs = append(inv.VMs,
		facts.InventoryVM{Name: "router-002", Host: "esxi-0000", Networks: []facts.VMNetwork{{Name: "IntraNought", Kind: facts.KindStandard}, {Name: "Public", Kind: facts.KindStandard}}},
		facts.InventoryVM{Name: "router-003", Host: "esxi-0001", Networks: []facts.VMNetwork{{Name: "IntraNought", Kind: facts.KindStandard}, {Name: "Public", Kind: facts.KindStandard}}})
	return inv
}

// BenchmarkAuditLargeInventory audits a vCenter at vSphere 8's maxima.
func BenchmarkAuditLargeInventory(b *testing.B) {
	inv := largeInventory(2500, 16)
	pairs := []*config.Config{config.Simulator()}
	b.ReportAllocs()
	var rep Report
	for b.Loop() {
		rep = Run(pairs, inv)
	}
	b.ReportMetric(float64(len(rep.Exceptions)), "exceptions")
}

// The large inventory's verdicts, so that the benchmark measures the real
// work: per host the router portgroups' five overrides are justified, and
// the four ESXi-default Accepts of the two vSwitches unjustified (the
// router portgroups override them, so nothing CARP needs inherits them);
// one dvportgroup accepts forged transmits with no pair on it.
func TestLargeInventoryVerdicts(t *testing.T) {
	rep := Run([]*config.Config{config.Simulator()}, largeInventory(3, 2))
	want := Summary{Justified: 3 * 5, Unjustified: 3*4 + 1}
	if rep.Summary != want {
		t.Fatalf("summary %+v, want %+v: %+v", rep.Summary, want, rep.Exceptions)
	}
}

// FixPlan changes nothing unjustified: the large inventory's vSwitch
// Accepts reach no router portgroup, so there is nothing to narrow.
func TestFixPlanLeavesUnjustifiedAlone(t *testing.T) {
	if plan := FixPlan([]*config.Config{config.Simulator()}, largeInventory(2, 1)); len(plan) != 0 {
		t.Fatalf("plan %v, want none: nothing there is broader", plan)
	}
}
