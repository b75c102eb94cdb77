package sim

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// networkFolder returns host's datacenter and its network folder.
func networkFolder(ctx *simulator.Context, host types.ManagedObjectReference) (*simulator.Datacenter, *simulator.Folder) {
	ref := host
	for i := 0; i < 64; i++ { // bounded walk up the inventory
		obj := ctx.Map.Get(ref)
		if dc, ok := obj.(*simulator.Datacenter); ok {
			f, ok := ctx.Map.Get(dc.NetworkFolder).(*simulator.Folder)
			if !ok {
				return nil, nil
			}
			return dc, f
		}
		e, ok := obj.(mo.Entity)
		if !ok || e.Entity().Parent == nil {
			return nil, nil
		}
		ref = *e.Entity().Parent
	}
	return nil, nil
}

// findNetwork returns the standard Network named name in folder.
func findNetwork(ctx *simulator.Context, folder *simulator.Folder, name string) *mo.Network {
	var found *mo.Network
	ctx.WithLock(folder, func() {
		for _, ref := range folder.ChildEntity {
			if ref.Type != "Network" {
				continue
			}
			if n, ok := ctx.Map.Get(ref).(*mo.Network); ok && n.Name == name {
				found = n
				return
			}
		}
	})
	return found
}

// attachNetwork makes host a member of the Network named name, creating it
// in the datacenter's network folder when it is the first host with such a
// portgroup, as vCenter does.
func attachNetwork(ctx *simulator.Context, host types.ManagedObjectReference, name string) {
	dc, folder := networkFolder(ctx, host)
	if folder == nil {
		return
	}
	n := findNetwork(ctx, folder, name)
	if n == nil {
		n = &mo.Network{}
		n.Name = name
		ctx.Map.PutEntity(folder, ctx.Map.NewEntity(n))
		n.Summary = &types.NetworkSummary{Network: &n.Self, Name: name, Accessible: true}
		ctx.Map.AppendReference(ctx, folder, &folder.ChildEntity, n.Self)
		ctx.Map.AddReference(ctx, dc, &dc.Network, n.Self)
	}
	ctx.Map.AddReference(ctx, n, &n.Host, host)
	if h, ok := ctx.Map.Get(host).(*simulator.HostSystem); ok {
		ctx.Map.AddReference(ctx, h, &h.Network, n.Self)
		if h.Parent != nil {
			switch cr := ctx.Map.Get(*h.Parent).(type) {
			case *mo.ComputeResource:
				ctx.Map.AddReference(ctx, cr, &cr.Network, n.Self)
			case *simulator.ClusterComputeResource:
				ctx.Map.AddReference(ctx, cr, &cr.Network, n.Self)
			}
		}
	}
}

// detachNetwork removes host from the Network named name; a Network left
// with no host and no VM is removed from the inventory.
func detachNetwork(ctx *simulator.Context, host types.ManagedObjectReference, name string) {
	dc, folder := networkFolder(ctx, host)
	if folder == nil {
		return
	}
	n := findNetwork(ctx, folder, name)
	if n == nil {
		return
	}
	ctx.Map.RemoveReference(ctx, n, &n.Host, host)
	if h, ok := ctx.Map.Get(host).(*simulator.HostSystem); ok {
		ctx.Map.RemoveReference(ctx, h, &h.Network, n.Self)
	}
	empty := false
	ctx.WithLock(n, func() { empty = len(n.Host) == 0 && len(n.Vm) == 0 })
	if empty {
		ctx.Map.RemoveReference(ctx, folder, &folder.ChildEntity, n.Self)
		ctx.Map.RemoveReference(ctx, dc, &dc.Network, n.Self)
		ctx.Map.Remove(ctx, n.Self)
	}
}
