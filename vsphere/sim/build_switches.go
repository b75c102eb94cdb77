package sim

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func boolPolicy(v bool, inherited bool) *types.BoolPolicy {
	return &types.BoolPolicy{InheritablePolicy: types.InheritablePolicy{Inherited: inherited}, Value: types.NewBool(v)}
}

func dvSecurity(s DVSecurity, inherited bool) *types.DVSSecurityPolicy {
	return &types.DVSSecurityPolicy{
		InheritablePolicy: types.InheritablePolicy{Inherited: inherited},
		AllowPromiscuous:  boolPolicy(s.Promiscuous, inherited),
		MacChanges:        boolPolicy(s.MacChanges, inherited),
		ForgedTransmits:   boolPolicy(s.ForgedTransmits, inherited),
	}
}

func dvMACManagement(m *MACManagement, inherited bool) *types.DVSMacManagementPolicy {
	if m == nil {
		return nil
	}
	return &types.DVSMacManagementPolicy{
		InheritablePolicy: types.InheritablePolicy{Inherited: inherited},
		AllowPromiscuous:  types.NewBool(m.Promiscuous),
		MacChanges:        types.NewBool(m.MacChanges),
		ForgedTransmits:   types.NewBool(m.ForgedTransmits),
		MacLearningPolicy: &types.DVSMacLearningPolicy{
			InheritablePolicy:    types.InheritablePolicy{Inherited: inherited},
			Enabled:              m.MACLearning,
			AllowUnicastFlooding: types.NewBool(true),
			Limit:                types.NewInt32(4096),
			LimitPolicy:          "DROP",
		},
	}
}

func (b *builder) buildSwitches(ctx context.Context) error {
	for _, sw := range b.t.Switches {
		var uplinks []string
		for i := 1; i <= max(sw.Uplinks, 1); i++ {
			uplinks = append(uplinks, fmt.Sprintf("uplink%d", i))
		}
		cfg := &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{
			Name:             sw.Name,
			ConfigVersion:    "1",
			UplinkPortPolicy: &types.DVSNameArrayUplinkPortPolicy{UplinkPortName: uplinks},
			DefaultPortConfig: &types.VMwareDVSPortSetting{
				SecurityPolicy:      dvSecurity(sw.Security, false),
				MacManagementPolicy: dvMACManagement(sw.MACManagement, false),
				UplinkTeamingPolicy: dvTeaming(uplinks, false),
			},
		}}
		for _, hn := range sw.Hosts {
			cfg.Host = append(cfg.Host, types.DistributedVirtualSwitchHostMemberConfigSpec{
				Operation: string(types.ConfigSpecOperationAdd), Host: b.hosts[hn].Reference(),
			})
		}
		task, err := b.folders.NetworkFolder.CreateDVS(ctx, types.DVSCreateSpec{ConfigSpec: cfg})
		var res types.AnyType
		if err == nil {
			res, err = b.wait(ctx, task)
		}
		ref, ok := res.(types.ManagedObjectReference)
		if err == nil && !ok {
			err = fmt.Errorf("create returned %T, not a switch reference", res)
		}
		if err != nil {
			return fmt.Errorf("sim: create distributed switch %s: %w", sw.Name, err)
		}
		dvs := object.NewDistributedVirtualSwitch(b.c, ref)
		if len(cfg.Host) > 0 {
			task, err := dvs.Reconfigure(ctx, &types.DVSConfigSpec{ConfigVersion: "1", Host: cfg.Host})
			if err == nil {
				_, err = b.wait(ctx, task)
			}
			if err != nil {
				return fmt.Errorf("sim: add hosts to %s: %w", sw.Name, err)
			}
		}
		simDVS := b.sctx.Map.Get(dvs.Reference()).(*simulator.DistributedVirtualSwitch)
		for _, pg := range sw.Portgroups {
			sec, inheritSec := sw.Security, true
			if pg.Security != nil {
				sec, inheritSec = *pg.Security, false
			}
			mac, inheritMAC := sw.MACManagement, true
			if pg.MACManagement != nil {
				mac, inheritMAC = pg.MACManagement, false
			}
			spec := types.DVPortgroupConfigSpec{
				Name:          pg.Name,
				Type:          string(types.DistributedVirtualPortgroupPortgroupTypeEarlyBinding),
				NumPorts:      8,
				ConfigVersion: "1",
				DefaultPortConfig: &types.VMwareDVSPortSetting{
					Vlan:                &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: pg.VLAN},
					SecurityPolicy:      dvSecurity(sec, inheritSec),
					MacManagementPolicy: dvMACManagement(mac, inheritMAC),
					UplinkTeamingPolicy: dvTeaming(uplinks, true),
				},
			}
			task, err := dvs.AddPortgroup(ctx, []types.DVPortgroupConfigSpec{spec})
			if err == nil {
				_, err = b.wait(ctx, task)
			}
			if err != nil {
				return fmt.Errorf("sim: add distributed portgroup %s to %s: %w", pg.Name, sw.Name, err)
			}
			b.dvpgs[pg.Name] = dvpgRef{switchUUID: simDVS.Uuid}
		}
		for _, ref := range simDVS.Portgroup {
			if p, ok := b.sctx.Map.Get(ref).(*simulator.DistributedVirtualPortgroup); ok {
				if r, ok := b.dvpgs[p.Name]; ok {
					r.key = p.Key
					b.dvpgs[p.Name] = r
				}
			}
		}
	}
	return nil
}

// buildOpaque adds the NSX opaque networks; the vSphere API has no method
// for it, so it goes through vcsim's folder directly.
func (b *builder) buildOpaque(ctx context.Context) error {
	if len(b.t.OpaqueNetworks) == 0 {
		return nil
	}
	folder, ok := b.sctx.Map.Get(b.folders.NetworkFolder.Reference()).(*simulator.Folder)
	if !ok {
		return fmt.Errorf("sim: network folder not found")
	}
	for i, name := range b.t.OpaqueNetworks {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
		var err error
		b.sctx.WithLock(folder, func() {
			err = folder.AddOpaqueNetwork(b.sctx, types.OpaqueNetworkSummary{
				NetworkSummary: types.NetworkSummary{Name: name}, OpaqueNetworkId: id, OpaqueNetworkType: "nsx.LogicalSwitch",
			})
		})
		if err != nil {
			return fmt.Errorf("sim: add opaque network %s: %w", name, err)
		}
		b.opaque[name] = id
	}
	return nil
}
