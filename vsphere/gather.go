package vsphere

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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

// pageObjects bounds the objects of one PropertyCollector answer: at
// vCenter's maximum (40,000 VMs) the inventory is read in about 45 pages,
// never held whole as one SOAP body and its decoded copy.
const pageObjects = 1000

// Gather reads everything the checks need for cfg's pair and networks, in
// four steps whatever the inventory's size:
//
//  1. CreateContainerView over the root folder;
//  2. RetrievePropertiesEx through the view for the names and links of
//     every VM, host, compute resource, network, switch and datastore;
//  3. DestroyView;
//  4. RetrievePropertiesEx, by reference, for the details of only the
//     router VMs, the other VMs on the routers' networks, the hosts the
//     routers can run on, their clusters, and the distributed portgroups
//     and switches of the configured networks.
//
// Each retrieval is paged (pageObjects per answer, then
// ContinueRetrievePropertiesEx): one round trip per step, plus one per
// further page, so about one per 1,000 objects of the inventory.
func (s *Session) Gather(ctx context.Context, cfg *config.Config) (*facts.Facts, error) {
	if cfg == nil {
		return nil, errors.New("vsphere: gather: no configuration")
	}
	inv, err := readAcrossRelogin(s, func() (*inventory, error) { return s.inventory(ctx) })
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

// inventory is the name index of step 2: for the many (VMs, hosts) only
// the few fields the checks use.
type inventory struct {
	vms       map[types.ManagedObjectReference]vmIndex
	hosts     map[types.ManagedObjectReference]hostIndex
	computes  map[types.ManagedObjectReference]*mo.ComputeResource // clusters too
	networks  map[types.ManagedObjectReference]string              // every kind of network, by name
	dvpgs     map[types.ManagedObjectReference]*mo.DistributedVirtualPortgroup
	opaque    map[types.ManagedObjectReference]*mo.OpaqueNetwork
	switches  map[types.ManagedObjectReference]*mo.DistributedVirtualSwitch
	datastore map[types.ManagedObjectReference]string
}

// vmIndex is a VM's name, host and networks.
type vmIndex struct {
	name     string
	host     *types.ManagedObjectReference
	networks []types.ManagedObjectReference
}

// hostIndex is a host's name and parent (a cluster, or a standalone
// host's compute resource).
type hostIndex struct {
	name   string
	parent *types.ManagedObjectReference
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

var detailProps = []types.PropertySpec{
	{Type: "VirtualMachine", PathSet: []string{"runtime.powerState", "config.hardware.device", "datastore"}},
	{Type: "HostSystem", PathSet: []string{"runtime.connectionState", "config.network.vswitch", "config.network.portgroup", hostOptionPath}},
	{Type: "ClusterComputeResource", PathSet: []string{"configurationEx"}},
	{Type: "DistributedVirtualPortgroup", PathSet: []string{"config.configVersion", "config.defaultPortConfig"}},
	{Type: "DistributedVirtualSwitch", PathSet: []string{"config.defaultPortConfig", "config.uplinkPortgroup", "summary.hostMember"}},
	{Type: "VmwareDistributedVirtualSwitch", PathSet: []string{"config.defaultPortConfig", "config.uplinkPortgroup", "summary.hostMember"}},
}

func (s *Session) inventory(ctx context.Context) (*inventory, error) {
	c := s.client
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder,
		[]string{"VirtualMachine", "HostSystem", "ComputeResource", "Network", "DistributedVirtualSwitch", "Datastore"}, true)
	if err != nil {
		return nil, &Error{Op: "create inventory view", Err: err}
	}
	inv := &inventory{
		vms:       map[types.ManagedObjectReference]vmIndex{},
		hosts:     map[types.ManagedObjectReference]hostIndex{},
		computes:  map[types.ManagedObjectReference]*mo.ComputeResource{},
		networks:  map[types.ManagedObjectReference]string{},
		dvpgs:     map[types.ManagedObjectReference]*mo.DistributedVirtualPortgroup{},
		opaque:    map[types.ManagedObjectReference]*mo.OpaqueNetwork{},
		switches:  map[types.ManagedObjectReference]*mo.DistributedVirtualSwitch{},
		datastore: map[types.ManagedObjectReference]string{},
	}
	spec := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:  v.Reference(),
			Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{
				Type: "ContainerView", Path: "view", Skip: types.NewBool(false),
			}},
		}},
		PropSet: inventoryProps,
	}
	err = s.retrieve(ctx, "read inventory", spec, func(o retrieved) {
		switch obj := o.obj.(type) {
		case *mo.VirtualMachine:
			inv.vms[o.ref] = vmIndex{name: obj.Name, host: obj.Runtime.Host, networks: obj.Network}
		case *mo.HostSystem:
			inv.hosts[o.ref] = hostIndex{name: obj.Name, parent: obj.Parent}
		case *mo.ComputeResource:
			inv.computes[o.ref] = obj
		case *mo.ClusterComputeResource:
			inv.computes[o.ref] = &obj.ComputeResource
		case *mo.Network:
			inv.networks[o.ref] = obj.Name
		case *mo.DistributedVirtualPortgroup:
			inv.networks[o.ref] = obj.Name
			inv.dvpgs[o.ref] = obj
		case *mo.OpaqueNetwork:
			inv.networks[o.ref] = obj.Name
			inv.opaque[o.ref] = obj
		case *mo.DistributedVirtualSwitch:
			inv.switches[o.ref] = obj
		case *mo.VmwareDistributedVirtualSwitch:
			inv.switches[o.ref] = &obj.DistributedVirtualSwitch
		case *mo.Datastore:
			inv.datastore[o.ref] = obj.Name
		}
	})
	derr := v.Destroy(ctx)
	if err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, &Error{Op: "destroy inventory view", Err: derr}
	}
	return inv, nil
}

// details is step 4: the details of refs, by reference.
func (s *Session) details(ctx context.Context, g *gathering, refs []types.ManagedObjectReference) error {
	objs := make([]types.ObjectSpec, 0, len(refs))
	for _, r := range refs {
		objs = append(objs, types.ObjectSpec{Obj: r, Skip: types.NewBool(false)})
	}
	spec := types.PropertyFilterSpec{ObjectSet: objs, PropSet: detailProps}
	return s.retrieve(ctx, "read router, host and network details", spec, func(o retrieved) {
		if v := optionInt(o.keyed[hostOptionPath]); v != nil {
			g.option[o.ref] = v
		}
		switch obj := o.obj.(type) {
		case *mo.VirtualMachine:
			g.vmDetail[o.ref] = obj
		case *mo.HostSystem:
			g.hostDetail[o.ref] = obj
		case *mo.ClusterComputeResource:
			g.clusterDetail[o.ref] = obj
		case *mo.DistributedVirtualPortgroup:
			g.dvpgDetail[o.ref] = obj
		case *mo.DistributedVirtualSwitch:
			g.switchDetail[o.ref] = obj
		case *mo.VmwareDistributedVirtualSwitch:
			g.switchDetail[o.ref] = &obj.DistributedVirtualSwitch
		}
	})
}

// retrieved is one object of a retrieval, decoded.
type retrieved struct {
	ref types.ManagedObjectReference
	obj mo.Reference
	// keyed are the values of the keyed paths asked (a host's
	// config.option["KEY"]), by path: the mo decoder knows only plain
	// paths.
	keyed map[string]types.AnyType
}

// retrieve reads spec's properties page by page and hands take each
// object as it is decoded, so that only one page is ever held whole.
func (s *Session) retrieve(ctx context.Context, op string, spec types.PropertyFilterSpec, take func(retrieved)) error {
	pc := s.client.ServiceContent.PropertyCollector
	page := s.pageObjects
	if page <= 0 {
		page = pageObjects
	}
	res, err := methods.RetrievePropertiesEx(ctx, s.client, &types.RetrievePropertiesEx{
		This: pc, SpecSet: []types.PropertyFilterSpec{spec}, Options: types.RetrieveOptions{MaxObjects: page},
	})
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	result := res.Returnval
	for result != nil {
		for _, oc := range result.Objects {
			o, err := decode(oc)
			if err != nil {
				s.cancelRetrieve(ctx, result.Token)
				return err
			}
			take(o)
		}
		if result.Token == "" {
			return nil
		}
		next, err := methods.ContinueRetrievePropertiesEx(ctx, s.client, &types.ContinueRetrievePropertiesEx{This: pc, Token: result.Token})
		if err != nil {
			return &Error{Op: op + " (next page)", Err: err}
		}
		result = &next.Returnval
	}
	return nil
}

// cancelRetrieve frees the server's remaining pages of an abandoned
// retrieval; its own failure changes nothing for the caller.
func (s *Session) cancelRetrieve(ctx context.Context, token string) {
	if token == "" {
		return
	}
	_, _ = methods.CancelRetrievePropertiesEx(ctx, s.client, &types.CancelRetrievePropertiesEx{
		This: s.client.ServiceContent.PropertyCollector, Token: token,
	})
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

// decode turns one object's properties into its mo type.
func decode(oc types.ObjectContent) (retrieved, error) {
	o := retrieved{ref: oc.Obj}
	if err := checkMissing(oc); err != nil {
		return o, err
	}
	props := oc.PropSet[:0:0]
	for _, p := range oc.PropSet {
		if strings.Contains(p.Name, "[") {
			if o.keyed == nil {
				o.keyed = map[string]types.AnyType{}
			}
			o.keyed[p.Name] = p.Val
			continue
		}
		props = append(props, p)
	}
	oc.PropSet, oc.MissingSet = props, nil
	obj, err := mo.ObjectContentToType(oc, true)
	if err != nil {
		return o, &Error{Op: "decode " + oc.Obj.String(), Err: err}
	}
	o.obj, _ = obj.(mo.Reference)
	return o, nil
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
