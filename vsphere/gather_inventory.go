package vsphere

import (
	"context"
	"sort"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// GatherInventory reads the security policy of every standard vSwitch and
// portgroup of every host, every distributed switch and portgroup, and
// the networks of every VM, in the round trips of Gather (the name index,
// then one read of the details, each paged: one more round trip per 1,000
// objects). It decodes with Gather's own code.
func (s *Session) GatherInventory(ctx context.Context) (*facts.Inventory, error) {
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	g := newGathering(&config.Config{}, inv)
	for ref := range inv.hosts {
		g.runHosts[ref] = true
	}
	for ref, pg := range inv.dvpgs {
		g.dvpgs[ref] = true
		if sw := pg.Config.DistributedVirtualSwitch; sw != nil {
			g.switches[*sw] = true
		}
	}
	if refs := g.detailRefs(); len(refs) > 0 {
		if err := s.details(ctx, g, refs); err != nil {
			return nil, err
		}
	}
	out := &facts.Inventory{Target: s.target, Product: s.client.ServiceContent.About.FullName,
		Hosts: []facts.Host{}, DVPortgroups: []facts.DVPortgroup{}, VMs: []facts.InventoryVM{}}
	for _, ref := range sortedRefs(g.runHosts) {
		out.Hosts = append(out.Hosts, g.host(ref))
	}
	sort.SliceStable(out.Hosts, func(i, j int) bool { return out.Hosts[i].Name < out.Hosts[j].Name })
	for _, ref := range sortedRefs(g.dvpgs) {
		out.DVPortgroups = append(out.DVPortgroups, *g.dvPortgroup(ref))
	}
	sort.SliceStable(out.DVPortgroups, func(i, j int) bool {
		a, b := out.DVPortgroups[i], out.DVPortgroups[j]
		return a.Switch < b.Switch || a.Switch == b.Switch && a.Name < b.Name
	})
	for _, ref := range sortedRefs(inv.vms) {
		vm := inv.vms[ref]
		iv := facts.InventoryVM{Name: vm.name}
		if vm.host != nil {
			iv.Host = g.hostName(*vm.host)
		}
		for _, n := range vm.networks {
			kind := facts.KindStandard
			switch {
			case inv.dvpgs[n] != nil:
				kind = facts.KindDistributed
			case inv.opaque[n] != nil:
				kind = facts.KindOpaque
			}
			iv.Networks = append(iv.Networks, facts.VMNetwork{Name: inv.networks[n], Kind: kind})
		}
		out.VMs = append(out.VMs, iv)
	}
	sort.SliceStable(out.VMs, func(i, j int) bool { return out.VMs[i].Name < out.VMs[j].Name })
	return out, nil
}
