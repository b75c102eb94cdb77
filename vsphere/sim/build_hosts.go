package sim

import (
	"context"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/facts"
)

func (b *builder) buildHosts(ctx context.Context) error {
	for _, h := range b.t.Hosts {
		spec := types.HostConnectSpec{HostName: h.Name}
		var task *object.Task
		var err error
		if h.Cluster == "" {
			task, err = b.folders.HostFolder.AddStandaloneHost(ctx, spec, true, nil, nil)
		} else {
			task, err = b.clusters[h.Cluster].AddHost(ctx, spec, true, nil, nil)
		}
		var res types.AnyType
		if err == nil {
			res, err = b.wait(ctx, task)
		}
		ref, ok := res.(types.ManagedObjectReference)
		if err == nil && !ok {
			err = fmt.Errorf("add returned %T, not a host reference", res)
		}
		if err != nil {
			return fmt.Errorf("sim: add host %s: %w", h.Name, err)
		}
		host := object.NewHostSystem(b.c, ref)
		b.hosts[h.Name] = host
		if err := b.extendHost(h, host.Reference()); err != nil {
			return err
		}
		if err := b.configureNetworking(ctx, h, host); err != nil {
			return err
		}
		pool, err := host.ResourcePool(ctx)
		if err != nil {
			return fmt.Errorf("sim: resource pool of host %s: %w", h.Name, err)
		}
		b.pools[h.Name] = pool
	}
	return nil
}

// extendHost replaces vcsim's network system and advanced-option manager
// of host with the ESXi-faithful ones, gives it a vSAN system, sets up its physical NICs and seeds
// Net.ReversePathFwdCheckPromisc.
func (b *builder) extendHost(spec Host, ref types.ManagedObjectReference) error {
	m := b.sctx.Map
	hs, ok := m.Get(ref).(*simulator.HostSystem)
	if !ok {
		return fmt.Errorf("sim: host %s: unexpected object %T", spec.Name, m.Get(ref))
	}
	var err error
	b.sctx.WithLock(hs, func() {
		pnics := hs.Config.Network.Pnic
		if len(pnics) == 0 {
			err = fmt.Errorf("sim: host %s has no physical NIC template", spec.Name)
			return
		}
		n := max(spec.PNICs, 2)
		for i := len(pnics); i < n; i++ {
			p := pnics[len(pnics)-1]
			p.Device = fmt.Sprintf("vmnic%d", i)
			p.Key = pnicKey(p.Device)
			p.Pci = fmt.Sprintf("0000:%02x:00.0", i+1)
			pnics = append(pnics, p)
		}
		hs.Config.Network.Pnic = pnics
		addVsanSystem(m, hs)
	})
	if err != nil {
		return err
	}

	ns, ok := m.Get(*hs.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem)
	if !ok {
		return fmt.Errorf("sim: host %s: network system is %T", spec.Name, m.Get(*hs.ConfigManager.NetworkSystem))
	}
	// One HostNetworkInfo for both HostSystem.config.network and
	// HostNetworkSystem.networkInfo, as they are one thing on ESXi.
	ns.NetworkInfo = hs.Config.Network
	m.Put(&HostNetworkSystem{HostNetworkSystem: ns, host: ref})

	om, ok := m.Get(*hs.ConfigManager.AdvancedOption).(*simulator.OptionManager)
	if !ok {
		return fmt.Errorf("sim: host %s: option manager is %T", spec.Name, m.Get(*hs.ConfigManager.AdvancedOption))
	}
	// Seeded through vcsim's own method, which may add a key; ours may not.
	if f := om.UpdateOptions(&types.UpdateOptions{ChangedValue: []types.BaseOptionValue{
		&types.OptionValue{Key: OptionReversePathFwdCheckPromisc, Value: spec.ReversePathFwdCheckPromisc},
	}}).Fault(); f != nil {
		return fmt.Errorf("sim: host %s: seed %s: %v", spec.Name, OptionReversePathFwdCheckPromisc, f.String)
	}
	m.Put(newHostOptionManager(om, ref))
	return nil
}

func securityPolicy(s facts.Security) *types.HostNetworkSecurityPolicy {
	return &types.HostNetworkSecurityPolicy{
		AllowPromiscuous: copyBool(s.Promiscuous),
		MacChanges:       copyBool(s.MacChanges),
		ForgedTransmits:  copyBool(s.ForgedTransmits),
	}
}

// configureNetworking makes the host's vSwitches and portgroups exactly
// those of spec, through the HostNetworkSystem methods.
func (b *builder) configureNetworking(ctx context.Context, spec Host, host *object.HostSystem) error {
	ns, err := host.ConfigManager().NetworkSystem(ctx)
	if err != nil {
		return fmt.Errorf("sim: host %s network system: %w", spec.Name, err)
	}
	hs := b.sctx.Map.Get(host.Reference()).(*simulator.HostSystem)
	var have []string
	var haveSwitches []string
	b.sctx.WithLock(hs, func() {
		for _, pg := range hs.Config.Network.Portgroup {
			have = append(have, pg.Spec.Name)
		}
		for _, vs := range hs.Config.Network.Vswitch {
			haveSwitches = append(haveSwitches, vs.Name)
		}
	})
	want := map[string]bool{}
	for _, pg := range spec.Portgroups {
		want[pg.Name] = true
	}
	for _, name := range have {
		if !want[name] {
			if err := ns.RemovePortGroup(ctx, name); err != nil {
				return fmt.Errorf("sim: host %s: remove portgroup %s: %w", spec.Name, name, err)
			}
		}
	}
	wantSwitch := map[string]bool{}
	for _, vs := range spec.VSwitches {
		wantSwitch[vs.Name] = true
		active := vs.Active
		if active == nil {
			active = vs.Uplinks
		}
		vspec := types.HostVirtualSwitchSpec{
			NumPorts: 128,
			Policy: &types.HostNetworkPolicy{
				Security:   securityPolicy(vs.Security),
				NicTeaming: &types.HostNicTeamingPolicy{NicOrder: &types.HostNicOrderPolicy{ActiveNic: active}},
			},
		}
		if len(vs.Uplinks) > 0 {
			vspec.Bridge = &types.HostVirtualSwitchBondBridge{NicDevice: vs.Uplinks}
		}
		if slices.Contains(haveSwitches, vs.Name) {
			err = ns.UpdateVirtualSwitch(ctx, vs.Name, vspec)
		} else {
			err = ns.AddVirtualSwitch(ctx, vs.Name, &vspec)
		}
		if err != nil {
			return fmt.Errorf("sim: host %s: vSwitch %s: %w", spec.Name, vs.Name, err)
		}
	}
	for _, pg := range spec.Portgroups {
		pspec := types.HostPortGroupSpec{
			Name: pg.Name, VlanId: pg.VLAN, VswitchName: pg.VSwitch,
			Policy: types.HostNetworkPolicy{Security: securityPolicy(pg.Security)},
		}
		if slices.Contains(have, pg.Name) {
			err = ns.UpdatePortGroup(ctx, pg.Name, pspec)
			if err == nil {
				attachNetwork(b.sctx, host.Reference(), pg.Name)
			}
		} else {
			err = ns.AddPortGroup(ctx, pspec)
		}
		if err != nil {
			return fmt.Errorf("sim: host %s: portgroup %s: %w", spec.Name, pg.Name, err)
		}
	}
	for _, name := range haveSwitches {
		if !wantSwitch[name] {
			if err := ns.RemoveVirtualSwitch(ctx, name); err != nil {
				return fmt.Errorf("sim: host %s: remove vSwitch %s: %w", spec.Name, name, err)
			}
		}
	}
	return nil
}
