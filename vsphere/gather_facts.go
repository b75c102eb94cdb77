package vsphere

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// gathering turns the inventory index and the details into facts.
type gathering struct {
	cfg *config.Config
	inv *inventory

	routers  []types.ManagedObjectReference // per configured router; zero when not found
	runHosts map[types.ManagedObjectReference]bool
	clusters map[types.ManagedObjectReference]bool
	netNames []string                              // configured portgroup names, unique, in order
	attached map[types.ManagedObjectReference]bool // other VMs on a configured network
	dvpgs    map[types.ManagedObjectReference]bool // configured distributed portgroups
	switches map[types.ManagedObjectReference]bool

	vmDetail      map[types.ManagedObjectReference]*mo.VirtualMachine
	hostDetail    map[types.ManagedObjectReference]*mo.HostSystem
	clusterDetail map[types.ManagedObjectReference]*mo.ClusterComputeResource
	dvpgDetail    map[types.ManagedObjectReference]*mo.DistributedVirtualPortgroup
	switchDetail  map[types.ManagedObjectReference]*mo.DistributedVirtualSwitch
	option        map[types.ManagedObjectReference]*int64
}

func newGathering(cfg *config.Config, inv *inventory) *gathering {
	g := &gathering{
		cfg: cfg, inv: inv,
		runHosts: map[types.ManagedObjectReference]bool{},
		clusters: map[types.ManagedObjectReference]bool{},
		attached: map[types.ManagedObjectReference]bool{},
		dvpgs:    map[types.ManagedObjectReference]bool{},
		switches: map[types.ManagedObjectReference]bool{},

		vmDetail:      map[types.ManagedObjectReference]*mo.VirtualMachine{},
		hostDetail:    map[types.ManagedObjectReference]*mo.HostSystem{},
		clusterDetail: map[types.ManagedObjectReference]*mo.ClusterComputeResource{},
		dvpgDetail:    map[types.ManagedObjectReference]*mo.DistributedVirtualPortgroup{},
		switchDetail:  map[types.ManagedObjectReference]*mo.DistributedVirtualSwitch{},
		option:        map[types.ManagedObjectReference]*int64{},
	}
	byName := map[string]types.ManagedObjectReference{}
	for _, ref := range sortedRefs(inv.vms) {
		if _, dup := byName[inv.vms[ref].name]; !dup {
			byName[inv.vms[ref].name] = ref
		}
	}
	isRouter := map[types.ManagedObjectReference]bool{}
	for _, r := range cfg.Pair.Routers {
		ref, ok := byName[r.VM]
		if !ok {
			g.routers = append(g.routers, types.ManagedObjectReference{})
			continue
		}
		g.routers = append(g.routers, ref)
		isRouter[ref] = true
		if h := inv.vms[ref].host; h != nil {
			g.addRunHosts(*h)
		}
	}
	for _, n := range cfg.Networks {
		if !slices.Contains(g.netNames, n.Portgroup) {
			g.netNames = append(g.netNames, n.Portgroup)
		}
	}
	configured := map[types.ManagedObjectReference]bool{}
	for ref, name := range inv.networks {
		if slices.Contains(g.netNames, name) {
			configured[ref] = true
		}
	}
	for ref := range configured {
		if pg, ok := inv.dvpgs[ref]; ok {
			g.dvpgs[ref] = true
			if pg.Config.DistributedVirtualSwitch != nil {
				g.switches[*pg.Config.DistributedVirtualSwitch] = true
			}
		}
	}
	for ref, vm := range inv.vms {
		if isRouter[ref] {
			continue
		}
		for _, n := range vm.networks {
			if configured[n] {
				g.attached[ref] = true
				break
			}
		}
	}
	return g
}

// addRunHosts adds host and, when it is in a cluster, every host of that
// cluster: the hosts a router can run on.
func (g *gathering) addRunHosts(host types.ManagedObjectReference) {
	g.runHosts[host] = true
	h, ok := g.inv.hosts[host]
	if !ok || h.parent == nil || h.parent.Type != "ClusterComputeResource" {
		return
	}
	g.clusters[*h.parent] = true
	if cr, ok := g.inv.computes[*h.parent]; ok {
		for _, other := range cr.Host {
			g.runHosts[other] = true
		}
	}
}

// detailRefs are the objects step 4 reads.
func (g *gathering) detailRefs() []types.ManagedObjectReference {
	var refs []types.ManagedObjectReference
	for _, r := range g.routers {
		if r.Value != "" {
			refs = append(refs, r)
		}
	}
	for _, set := range []map[types.ManagedObjectReference]bool{g.attached, g.runHosts, g.clusters, g.dvpgs, g.switches} {
		refs = append(refs, sortedRefs(set)...)
	}
	return refs
}

func (g *gathering) facts() *facts.Facts {
	f := &facts.Facts{}
	for i, r := range g.cfg.Pair.Routers {
		f.VMs = append(f.VMs, g.vm(r.VM, g.routers[i]))
	}
	for _, ref := range sortedRefs(g.runHosts) {
		f.Hosts = append(f.Hosts, g.host(ref))
	}
	sort.Slice(f.Hosts, func(i, j int) bool { return f.Hosts[i].Name < f.Hosts[j].Name })
	for _, ref := range sortedRefs(g.clusters) {
		f.Clusters = append(f.Clusters, g.cluster(ref))
	}
	sort.Slice(f.Clusters, func(i, j int) bool { return f.Clusters[i].Name < f.Clusters[j].Name })
	for _, name := range g.netNames {
		f.Networks = append(f.Networks, g.network(name, f.VMs))
	}
	return f
}

func (g *gathering) vm(name string, ref types.ManagedObjectReference) facts.VM {
	vm := facts.VM{Name: name}
	idx, ok := g.inv.vms[ref]
	if ref.Value == "" || !ok {
		return vm
	}
	vm.Found = true
	vm.Ref = ref.Value
	if idx.host != nil {
		vm.Host = g.hostName(*idx.host)
	}
	if d, ok := g.vmDetail[ref]; ok {
		vm.PowerState = string(d.Runtime.PowerState)
		for _, ds := range d.Datastore {
			vm.Datastores = append(vm.Datastores, g.inv.datastore[ds])
		}
		vm.NICs = g.nics(d)
	}
	return vm
}

func (g *gathering) hostName(ref types.ManagedObjectReference) string {
	if h, ok := g.inv.hosts[ref]; ok {
		return h.name
	}
	return ref.Value
}

// nics lists a VM's virtual Ethernet cards.
func (g *gathering) nics(vm *mo.VirtualMachine) []facts.NIC {
	if vm.Config == nil {
		return nil
	}
	var out []facts.NIC
	for _, d := range vm.Config.Hardware.Device {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		e := card.GetVirtualEthernetCard()
		n := facts.NIC{
			Key:         e.Key,
			Type:        nicType(d),
			MAC:         strings.ToLower(e.MacAddress),
			AddressType: strings.ToLower(e.AddressType),
		}
		if desc := e.DeviceInfo; desc != nil && desc.GetDescription().Label != "" {
			n.Label = desc.GetDescription().Label
		} else {
			n.Label = "Network adapter " + strconv.Itoa(len(out)+1)
		}
		if c := e.Connectable; c != nil {
			n.Connected, n.StartConnected = c.Connected, c.StartConnected
		}
		g.backing(e.Backing, &n)
		out = append(out, n)
	}
	return out
}

// backing resolves a NIC backing to the network's name and kind.
func (g *gathering) backing(b types.BaseVirtualDeviceBackingInfo, n *facts.NIC) {
	switch b := b.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		n.Kind = facts.KindStandard
		n.Network = b.DeviceName
		if b.Network != nil {
			if name, ok := g.inv.networks[*b.Network]; ok {
				n.Network = name
			}
		}
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		n.Kind = facts.KindDistributed
		n.PortgroupKey = b.Port.PortgroupKey
		n.SwitchUUID = b.Port.SwitchUuid
		for _, pg := range g.inv.dvpgs {
			if pg.Key == b.Port.PortgroupKey {
				n.Network = pg.Name
				break
			}
		}
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		n.Kind = facts.KindOpaque
		for _, on := range g.inv.opaque {
			if s, ok := on.Summary.(*types.OpaqueNetworkSummary); ok && s.OpaqueNetworkId == b.OpaqueNetworkId {
				n.Network = on.Name
				break
			}
		}
		if n.Network == "" {
			n.Network = b.OpaqueNetworkId
		}
	}
}

func nicType(d types.BaseVirtualDevice) string {
	switch d.(type) {
	case *types.VirtualVmxnet3:
		return "vmxnet3"
	case *types.VirtualVmxnet3Vrdma:
		return "vmxnet3vrdma"
	case *types.VirtualVmxnet2:
		return "vmxnet2"
	case *types.VirtualVmxnet:
		return "vmxnet"
	case *types.VirtualE1000e:
		return "e1000e"
	case *types.VirtualE1000:
		return "e1000"
	case *types.VirtualPCNet32:
		return "pcnet32"
	case *types.VirtualSriovEthernetCard:
		return "sriov"
	}
	return "ethernet"
}

func (g *gathering) host(ref types.ManagedObjectReference) facts.Host {
	h := facts.Host{Name: g.hostName(ref), Ref: ref.Value, ReversePathFwdCheckPromisc: g.option[ref]}
	if idx, ok := g.inv.hosts[ref]; ok && idx.parent != nil && idx.parent.Type == "ClusterComputeResource" {
		if cr, ok := g.inv.computes[*idx.parent]; ok {
			h.Cluster = cr.Name
		}
	}
	d, ok := g.hostDetail[ref]
	if !ok {
		return h
	}
	h.ConnectionState = string(d.Runtime.ConnectionState)
	if d.Config == nil || d.Config.Network == nil {
		return h
	}
	for _, vs := range d.Config.Network.Vswitch {
		v := facts.VSwitch{Name: vs.Name}
		switch b := vs.Spec.Bridge.(type) {
		case *types.HostVirtualSwitchBondBridge:
			v.Uplinks = append(v.Uplinks, b.NicDevice...)
		case *types.HostVirtualSwitchSimpleBridge:
			v.Uplinks = []string{b.NicDevice}
		}
		if p := vs.Spec.Policy; p != nil {
			v.Security = hostSecurity(p.Security)
			v.ActiveUplinks = activeNICs(p)
		}
		h.VSwitches = append(h.VSwitches, v)
	}
	for _, pg := range d.Config.Network.Portgroup {
		h.Portgroups = append(h.Portgroups, facts.Portgroup{
			Name:          pg.Spec.Name,
			VSwitch:       pg.Spec.VswitchName,
			VLAN:          pg.Spec.VlanId,
			Override:      hostSecurity(pg.Spec.Policy.Security),
			Computed:      hostSecurity(pg.ComputedPolicy.Security),
			ActiveUplinks: activeNICs(&pg.ComputedPolicy),
		})
	}
	return h
}

func hostSecurity(s *types.HostNetworkSecurityPolicy) facts.Security {
	if s == nil {
		return facts.Security{}
	}
	return facts.Security{Promiscuous: copyBool(s.AllowPromiscuous), MacChanges: copyBool(s.MacChanges), ForgedTransmits: copyBool(s.ForgedTransmits)}
}

func activeNICs(p *types.HostNetworkPolicy) []string {
	if p.NicTeaming == nil || p.NicTeaming.NicOrder == nil {
		return nil
	}
	return append([]string(nil), p.NicTeaming.NicOrder.ActiveNic...)
}

func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

func (g *gathering) cluster(ref types.ManagedObjectReference) facts.Cluster {
	c := facts.Cluster{Ref: ref.Value}
	if cr, ok := g.inv.computes[ref]; ok {
		c.Name = cr.Name
		for _, h := range cr.Host {
			c.Hosts = append(c.Hosts, g.hostName(h))
		}
		sort.Strings(c.Hosts)
	}
	d, ok := g.clusterDetail[ref]
	if !ok {
		return c
	}
	info, ok := d.ConfigurationEx.(*types.ClusterConfigInfoEx)
	if !ok {
		return c
	}
	c.DRSEnabled = info.DrsConfig.Enabled != nil && *info.DrsConfig.Enabled
	for _, r := range info.Rule {
		base := r.GetClusterRuleInfo()
		rule := facts.Rule{
			Name:      base.Name,
			Kind:      facts.RuleOther,
			Enabled:   base.Enabled != nil && *base.Enabled,
			Mandatory: base.Mandatory != nil && *base.Mandatory,
		}
		var vms []types.ManagedObjectReference
		switch r := r.(type) {
		case *types.ClusterAntiAffinityRuleSpec:
			rule.Kind, vms = facts.RuleAntiAffinity, r.Vm
		case *types.ClusterAffinityRuleSpec:
			rule.Kind, vms = facts.RuleAffinity, r.Vm
		}
		for _, vm := range vms {
			if idx, ok := g.inv.vms[vm]; ok {
				rule.VMs = append(rule.VMs, idx.name)
			} else {
				rule.VMs = append(rule.VMs, vm.Value)
			}
		}
		c.Rules = append(c.Rules, rule)
	}
	return c
}

// network resolves a configured portgroup name. When several networks
// carry the name, the kind the routers' NICs use wins, then standard,
// distributed, opaque.
func (g *gathering) network(name string, routers []facts.VM) facts.Network {
	n := facts.Network{Name: name}
	kinds := map[facts.NetworkKind][]types.ManagedObjectReference{}
	for _, ref := range sortedRefs(g.inv.networks) {
		if g.inv.networks[ref] != name {
			continue
		}
		switch {
		case g.inv.dvpgs[ref] != nil:
			kinds[facts.KindDistributed] = append(kinds[facts.KindDistributed], ref)
		case g.inv.opaque[ref] != nil:
			kinds[facts.KindOpaque] = append(kinds[facts.KindOpaque], ref)
		default:
			kinds[facts.KindStandard] = append(kinds[facts.KindStandard], ref)
		}
	}
	order := []facts.NetworkKind{facts.KindStandard, facts.KindDistributed, facts.KindOpaque}
	for _, vm := range routers {
		for _, nic := range vm.NICsOn(name) {
			order = append([]facts.NetworkKind{nic.Kind}, order...)
		}
	}
	for _, k := range order {
		if len(kinds[k]) > 0 {
			n.Found, n.Kind = true, k
			break
		}
	}
	if !n.Found {
		return n
	}
	if n.Kind == facts.KindDistributed {
		n.DVPortgroup = g.dvPortgroup(kinds[facts.KindDistributed][0])
	}
	for _, ref := range sortedRefs(g.attached) {
		d, ok := g.vmDetail[ref]
		if !ok {
			continue
		}
		for _, nic := range g.nics(d) {
			if nic.Network == name && nic.Kind == n.Kind {
				n.Attached = append(n.Attached, facts.AttachedNIC{VM: g.inv.vms[ref].name, MAC: nic.MAC})
			}
		}
	}
	sort.Slice(n.Attached, func(i, j int) bool {
		a, b := n.Attached[i], n.Attached[j]
		return a.VM < b.VM || a.VM == b.VM && a.MAC < b.MAC
	})
	return n
}
