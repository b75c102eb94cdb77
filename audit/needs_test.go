package audit

import (
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// routerOnlyInventory is one host whose vSwitch rejects all three
// settings and whose portgroup IntraNought, holding only the routers,
// overrides all three to Accept; and a distributed portgroup IntraNought
// learning MACs when learning is set, the same otherwise.
func routerOnlyInventory(distributed, learning bool) *facts.Inventory {
	rej := facts.Security{Promiscuous: boolp(false), MacChanges: boolp(false), ForgedTransmits: boolp(false)}
	acc := facts.Security{Promiscuous: boolp(true), MacChanges: boolp(true), ForgedTransmits: boolp(true)}
	inv := &facts.Inventory{Target: "test"}
	kind := facts.KindStandard
	if distributed {
		kind = facts.KindDistributed
		mm := &facts.DVMACManagement{Promiscuous: true, MacChanges: true, ForgedTransmits: true, MACLearning: learning}
		inv.DVPortgroups = []facts.DVPortgroup{{Name: "IntraNought", Switch: "DSwitch", MACManagement: mm,
			SwitchMACManagement: &facts.DVMACManagement{}}}
	} else {
		inv.Hosts = []facts.Host{{Name: "esxi-01", VSwitches: []facts.VSwitch{{Name: "vSwitch1", Security: rej}},
			Portgroups: []facts.Portgroup{{Name: "IntraNought", VSwitch: "vSwitch1", Override: acc, Computed: acc}}}}
	}
	for _, vm := range []string{"router-002", "router-003"} {
		inv.VMs = append(inv.VMs, facts.InventoryVM{Name: vm, Host: "esxi-01", Networks: []facts.VMNetwork{{Name: "IntraNought", Kind: kind}}})
	}
	return inv
}

// Each protocol and mode carpvm.yaml allows, with all three settings
// Accept on the network's router-only portgroup: what preflight's rules
// need is justified, the rest unjustified. Unicast adverts leave from the
// NIC's own MAC, but the VIP still answers from the virtual MAC (forged
// transmits); a distributed portgroup that learns MACs needs no
// promiscuous mode.
func TestAuditFollowsEachModesNeeds(t *testing.T) {
	type classes map[string]Class
	all := classes{"promiscuous": Justified, "mac_changes": Justified, "forged_transmits": Justified}
	for _, tc := range []struct {
		name        string
		mutate      func(n *config.Network)
		distributed bool
		learning    bool
		want        classes
	}{
		{name: "CARP multicast", want: all},
		{name: "CARP unicast", mutate: func(n *config.Network) { n.Mode = config.ModeUnicast }, want: all},
		{name: "VRRPv3 multicast", mutate: func(n *config.Network) { n.Protocol = config.ProtocolVRRP3 }, want: all},
		{name: "VRRPv3 unicast", mutate: func(n *config.Network) { n.Protocol, n.Mode = config.ProtocolVRRP3, config.ModeUnicast }, want: all},
		{name: "distributed, no MAC learning", distributed: true, want: all},
		{name: "distributed, MAC learning", distributed: true, learning: true,
			want: classes{"promiscuous": Unjustified, "mac_changes": Justified, "forged_transmits": Justified}},
		{name: "distributed, MAC learning, VRRPv3 unicast", distributed: true, learning: true,
			mutate: func(n *config.Network) { n.Protocol, n.Mode = config.ProtocolVRRP3, config.ModeUnicast },
			want:   classes{"promiscuous": Unjustified, "mac_changes": Justified, "forged_transmits": Justified}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Simulator()
			cfg.Networks = cfg.Networks[:1]
			if tc.mutate != nil {
				tc.mutate(&cfg.Networks[0])
			}
			rep := Run([]*config.Config{cfg}, routerOnlyInventory(tc.distributed, tc.learning))
			got := classes{}
			for _, e := range rep.Exceptions {
				got[e.Setting] = e.Class
			}
			if len(got) != 3 || len(rep.Exceptions) != 3 {
				t.Fatalf("exceptions %+v, want one per setting", rep.Exceptions)
			}
			for s, want := range tc.want {
				if got[s] != want {
					t.Errorf("%s: %s, want %s", s, got[s], want)
				}
			}
		})
	}
}
