package vsphere

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// optionRPF is the advanced option read from every host a router can run on.
const optionRPF = "Net.ReversePathFwdCheckPromisc"

// hostOptionPath reads only that option from config.option, by key.
var hostOptionPath = fmt.Sprintf("config.option[%q]", optionRPF)

// Gather reads everything the checks need for cfg's pair and networks, in a
// number of round trips that does not depend on the inventory's size:
//
//  1. CreateContainerView over the root folder;
//  2. one RetrieveProperties through the view for the names and links of
//     every VM, host, compute resource, network, switch and datastore;
//  3. DestroyView;
//  4. one RetrieveProperties, by reference, for the details of only the
//     router VMs, the other VMs on the routers' networks, the hosts the
//     routers can run on, their clusters, and the distributed portgroups
//     and switches of the configured networks.
//
// It uses RetrieveProperties rather than RetrievePropertiesEx, whose
// server-side paging would add a round trip per page on a large inventory.
func (s *Session) Gather(ctx context.Context, cfg *config.Config) (*facts.Facts, error) {
	if cfg == nil {
		return nil, errors.New("vsphere: gather: no configuration")
	}
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	g := newGathering(cfg, inv)
	refs := g.detailRefs()
	if len(refs) > 0 {
		if err := s.details(ctx, g, refs); err != nil {
			return nil, err
		}
	}
	f := g.facts()
	f.Target = s.target
	f.Product = s.client.ServiceContent.About.FullName
	return f, nil
}

// inventory is the name index of step 1.
type inventory struct {
	vms       map[types.ManagedObjectReference]*mo.VirtualMachine
	hosts     map[types.ManagedObjectReference]*mo.HostSystem
	computes  map[types.ManagedObjectReference]*mo.ComputeResource // clusters too
	networks  map[types.ManagedObjectReference]string              // every kind of network, by name
	dvpgs     map[types.ManagedObjectReference]*mo.DistributedVirtualPortgroup
	opaque    map[types.ManagedObjectReference]*mo.OpaqueNetwork
	switches  map[types.ManagedObjectReference]*mo.DistributedVirtualSwitch
	datastore map[types.ManagedObjectReference]string
}

var inventoryProps = []types.PropertySpec{
	{Type: "VirtualMachine", PathSet: []string{"name", "network", "runtime.host"}},
	{Type: "HostSystem", PathSet: []string{"name", "parent"}},
	{Type: "ComputeResource", PathSet: []string{"name", "host"}},
	{Type: "ClusterComputeResource", PathSet: []string{"name", "host"}},
	{Type: "Network", PathSet: []string{"name"}},
	{Type: "DistributedVirtualPortgroup", PathSet: []string{"name", "key", "config.distributedVirtualSwitch"}},
	{Type: "OpaqueNetwork", PathSet: []string{"name", "summary"}},
	{Type: "DistributedVirtualSwitch", PathSet: []string{"name", "uuid"}},
	{Type: "VmwareDistributedVirtualSwitch", PathSet: []string{"name", "uuid"}},
	{Type: "Datastore", PathSet: []string{"name"}},
}

func (s *Session) inventory(ctx context.Context) (*inventory, error) {
	c := s.client
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder,
		[]string{"VirtualMachine", "HostSystem", "ComputeResource", "Network", "DistributedVirtualSwitch", "Datastore"}, true)
	if err != nil {
		return nil, &Error{Op: "create inventory view", Err: err}
	}
	req := types.RetrieveProperties{
		This: c.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet: []types.ObjectSpec{{
				Obj:  v.Reference(),
				Skip: types.NewBool(true),
				SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{
					Type: "ContainerView", Path: "view", Skip: types.NewBool(false),
				}},
			}},
			PropSet: inventoryProps,
		}},
	}
	res, err := methods.RetrieveProperties(ctx, c, &req)
	derr := v.Destroy(ctx)
	if err != nil {
		return nil, &Error{Op: "read inventory", Err: err}
	}
	if derr != nil {
		return nil, &Error{Op: "destroy inventory view", Err: derr}
	}
	inv := &inventory{
		vms:       map[types.ManagedObjectReference]*mo.VirtualMachine{},
		hosts:     map[types.ManagedObjectReference]*mo.HostSystem{},
		computes:  map[types.ManagedObjectReference]*mo.ComputeResource{},
		networks:  map[types.ManagedObjectReference]string{},
		dvpgs:     map[types.ManagedObjectReference]*mo.DistributedVirtualPortgroup{},
		opaque:    map[types.ManagedObjectReference]*mo.OpaqueNetwork{},
		switches:  map[types.ManagedObjectReference]*mo.DistributedVirtualSwitch{},
		datastore: map[types.ManagedObjectReference]string{},
	}
	for _, oc := range res.Returnval {
		if err := checkMissing(oc); err != nil {
			return nil, err
		}
		obj, err := mo.ObjectContentToType(oc, true)
		if err != nil {
			return nil, &Error{Op: "decode " + oc.Obj.String(), Err: err}
		}
		switch o := obj.(type) {
		case *mo.VirtualMachine:
			inv.vms[oc.Obj] = o
		case *mo.HostSystem:
			inv.hosts[oc.Obj] = o
		case *mo.ComputeResource:
			inv.computes[oc.Obj] = o
		case *mo.ClusterComputeResource:
			inv.computes[oc.Obj] = &o.ComputeResource
		case *mo.Network:
			inv.networks[oc.Obj] = o.Name
		case *mo.DistributedVirtualPortgroup:
			inv.networks[oc.Obj] = o.Name
			inv.dvpgs[oc.Obj] = o
		case *mo.OpaqueNetwork:
			inv.networks[oc.Obj] = o.Name
			inv.opaque[oc.Obj] = o
		case *mo.DistributedVirtualSwitch:
			inv.switches[oc.Obj] = o
		case *mo.VmwareDistributedVirtualSwitch:
			inv.switches[oc.Obj] = &o.DistributedVirtualSwitch
		case *mo.Datastore:
			inv.datastore[oc.Obj] = o.Name
		}
	}
	return inv, nil
}

// checkMissing turns a property the server refused to return for lack of
// rights into an error; other missing properties read as unset.
func checkMissing(oc types.ObjectContent) error {
	for _, m := range oc.MissingSet {
		switch m.Fault.Fault.(type) {
		case *types.NoPermission, *types.NotAuthenticated:
			return &Error{Op: fmt.Sprintf("read %s of %s", m.Path, oc.Obj), Err: fmt.Errorf("permission denied (%T)", m.Fault.Fault)}
		}
	}
	return nil
}

// details is step 4: one RetrieveProperties by reference.
func (s *Session) details(ctx context.Context, g *gathering, refs []types.ManagedObjectReference) error {
	var objs []types.ObjectSpec
	for _, r := range refs {
		objs = append(objs, types.ObjectSpec{Obj: r, Skip: types.NewBool(false)})
	}
	req := types.RetrieveProperties{
		This: s.client.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet: objs,
			PropSet: []types.PropertySpec{
				{Type: "VirtualMachine", PathSet: []string{"runtime.powerState", "config.hardware.device", "datastore"}},
				{Type: "HostSystem", PathSet: []string{"runtime.connectionState", "config.network.vswitch", "config.network.portgroup", hostOptionPath}},
				{Type: "ClusterComputeResource", PathSet: []string{"configurationEx"}},
				{Type: "DistributedVirtualPortgroup", PathSet: []string{"config.configVersion", "config.defaultPortConfig"}},
				{Type: "DistributedVirtualSwitch", PathSet: []string{"config.defaultPortConfig", "summary.hostMember"}},
				{Type: "VmwareDistributedVirtualSwitch", PathSet: []string{"config.defaultPortConfig", "summary.hostMember"}},
			},
		}},
	}
	res, err := methods.RetrieveProperties(ctx, s.client, &req)
	if err != nil {
		return &Error{Op: "read router, host and network details", Err: err}
	}
	for _, oc := range res.Returnval {
		if err := checkMissing(oc); err != nil {
			return err
		}
		// The keyed option path is read here: the mo decoder knows only
		// plain paths.
		props := oc.PropSet[:0:0]
		for _, p := range oc.PropSet {
			if p.Name == hostOptionPath {
				g.option[oc.Obj] = optionInt(p.Val)
				continue
			}
			props = append(props, p)
		}
		oc.PropSet = props
		oc.MissingSet = nil
		obj, err := mo.ObjectContentToType(oc, true)
		if err != nil {
			return &Error{Op: "decode " + oc.Obj.String(), Err: err}
		}
		switch o := obj.(type) {
		case *mo.VirtualMachine:
			g.vmDetail[oc.Obj] = o
		case *mo.HostSystem:
			g.hostDetail[oc.Obj] = o
		case *mo.ClusterComputeResource:
			g.clusterDetail[oc.Obj] = o
		case *mo.DistributedVirtualPortgroup:
			g.dvpgDetail[oc.Obj] = o
		case *mo.DistributedVirtualSwitch:
			g.switchDetail[oc.Obj] = o
		case *mo.VmwareDistributedVirtualSwitch:
			g.switchDetail[oc.Obj] = &o.DistributedVirtualSwitch
		}
	}
	return nil
}

// sortedRefs returns the keys of m in a stable order.
func sortedRefs[V any](m map[types.ManagedObjectReference]V) []types.ManagedObjectReference {
	refs := make([]types.ManagedObjectReference, 0, len(m))
	for r := range m {
		refs = append(refs, r)
	}
	slices.SortFunc(refs, func(a, b types.ManagedObjectReference) int {
		if a.Type != b.Type {
			if a.Type < b.Type {
				return -1
			}
			return 1
		}
		switch {
		case a.Value < b.Value:
			return -1
		case a.Value > b.Value:
			return 1
		}
		return 0
	})
	return refs
}
