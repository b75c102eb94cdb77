package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Inventory is growth added to a named topology: Hosts more ESXi hosts and
// VMs more powered-on VMs, the bulk of a large vCenter around the pair.
type Inventory struct {
	Hosts, VMs int
}

// Limits of vCenter 8 that the growth follows.
const (
	// MaxClusterHosts is the most hosts a cluster holds.
	MaxClusterHosts = 64
	// MaxInventoryHosts and MaxInventoryVMs are what vCenter 8 manages.
	MaxInventoryHosts = 2500
	MaxInventoryVMs   = 40000
)

// Check says what is wrong with g, naming the flag a person sets.
func (g Inventory) Check() error {
	switch {
	case g.Hosts < 0 || g.Hosts > MaxInventoryHosts:
		return fmt.Errorf("--inventory-hosts %d: want 0 to %d (vCenter 8's maximum)", g.Hosts, MaxInventoryHosts)
	case g.VMs < 0 || g.VMs > MaxInventoryVMs:
		return fmt.Errorf("--inventory-vms %d: want 0 to %d (vCenter 8's maximum of powered-on VMs)", g.VMs, MaxInventoryVMs)
	case g.VMs > 0 && g.Hosts == 0:
		return fmt.Errorf("--inventory-vms %d needs --inventory-hosts: the VMs run on the added hosts", g.VMs)
	}
	return nil
}

// Names of the added inventory, chosen not to meet a named topology's.
const (
	grownSwitch     = "DSwitch-inventory"
	grownPortgroups = 4 // distributed portgroups inventory-pg-1..4
	// routerNetworkEvery puts every so-many-th added VM on one of the
	// routers' portgroups too: vmac.conflict then has MACs to compare.
	routerNetworkEvery = 100
)

// WithInventory returns a copy of t grown by g: g.Hosts hosts
// esxi-inv-0001... in DRS clusters Inventory-001... of at most
// MaxClusterHosts, each cluster with a datastore of its own; on each host
// vSwitch0 (vmnic0) with VM Network, Management Network and a portgroup
// of each name the routers use on t's standard vSwitches; a distributed
// switch DSwitch-inventory spanning every added host, with portgroups
// inventory-pg-1..4. The g.VMs VMs inv-vm-00001... are spread round-robin
// over the added hosts, powered on, with one NIC on VM Network or an
// inventory-pg portgroup, and every 100th a second NIC on one of the
// routers' portgroups (generated MAC). t's own objects are left as they
// are, so the pair's facts do not change.
func (t Topology) WithInventory(g Inventory) Topology {
	if g.Hosts <= 0 {
		return t
	}
	t = t.clone()
	t.Name += g.suffix()
	shared := t.routerPortgroups()
	var hosts []string
	for i := range g.Hosts {
		c := i / MaxClusterHosts
		cluster := fillerName("Inventory-", c+1, 3)
		if i%MaxClusterHosts == 0 {
			t.Clusters = append(t.Clusters, ClusterSpec{Name: cluster, DRS: true})
			t.Datastores = append(t.Datastores, Datastore{Name: fillerName("inventory-ds-", c+1, 3)})
		}
		name := fillerName("esxi-inv-", i+1, 4)
		hosts = append(hosts, name)
		h := Host{
			Name: name, Cluster: cluster, PNICs: 2,
			VSwitches: []VSwitch{{Name: "vSwitch0", Uplinks: []string{"vmnic0"}}},
			Portgroups: []Portgroup{
				{Name: "VM Network", VSwitch: "vSwitch0"},
				{Name: "Management Network", VSwitch: "vSwitch0"},
			},
		}
		for _, pg := range shared {
			h.Portgroups = append(h.Portgroups, Portgroup{Name: pg.Name, VSwitch: "vSwitch0", VLAN: pg.VLAN})
		}
		t.Hosts = append(t.Hosts, h)
		ds := &t.Datastores[len(t.Datastores)-1]
		ds.Hosts = append(ds.Hosts, name)
	}
	sw := DVSwitch{Name: grownSwitch, Hosts: hosts, Uplinks: 2, MACManagement: &MACManagement{}}
	for i := range grownPortgroups {
		sw.Portgroups = append(sw.Portgroups, DVPortgroup{Name: "inventory-pg-" + strconv.Itoa(i+1), VLAN: int32(100 + i)})
	}
	t.Switches = append(t.Switches, sw)
	for i := range g.VMs {
		hi := i % g.Hosts
		vm := VM{
			Name: fillerName("inv-vm-", i+1, 5), Host: hosts[hi],
			Datastore: fillerName("inventory-ds-", hi/MaxClusterHosts+1, 3), PoweredOn: true, Bulk: true,
			NICs: []NIC{{Network: "VM Network"}},
		}
		if i%2 == 1 {
			vm.NICs[0].Network = sw.Portgroups[(i/2)%grownPortgroups].Name
		}
		if i%routerNetworkEvery == 0 && len(shared) > 0 {
			vm.NICs = append(vm.NICs, NIC{Network: shared[(i/routerNetworkEvery)%len(shared)].Name})
		}
		t.VMs = append(t.VMs, vm)
	}
	return t
}

// suffix is how a grown topology's name says so: "+2500 hosts, 40000 VMs".
func (g Inventory) suffix() string {
	return fmt.Sprintf("+%d hosts, %d VMs", g.Hosts, g.VMs)
}

// routerPortgroups are the standard portgroups (one per name, in t's
// order) that the routers' NICs use.
func (t Topology) routerPortgroups() []Portgroup {
	var used []string
	for _, vm := range t.VMs {
		if vm.Name != Router1 && vm.Name != Router2 {
			continue
		}
		for _, n := range vm.NICs {
			used = append(used, n.Network)
		}
	}
	var out []Portgroup
	for _, h := range t.Hosts {
		for _, pg := range h.Portgroups {
			if slices.Contains(used, pg.Name) && !slices.ContainsFunc(out, func(p Portgroup) bool { return p.Name == pg.Name }) {
				out = append(out, pg)
			}
		}
	}
	return out
}

// Lookup is the topology a simulator spec names: a name of Topologies,
// optionally grown as ParseSpec reads it.
func Lookup(spec string) (Topology, error) {
	name, g, err := ParseSpec(spec)
	if err != nil {
		return Topology{}, err
	}
	build, ok := Topologies()[name]
	if !ok {
		var names []string
		for n := range Topologies() {
			names = append(names, n)
		}
		slices.Sort(names)
		return Topology{}, fmt.Errorf("simulator topology %q: want one of %s", name, strings.Join(names, ", "))
	}
	return build().WithInventory(g), nil
}

// Spec is the one-string form of a grown topology that the workflows pass
// down to the simulator they start: NAME, or NAME+HOSTS,VMS.
func Spec(name string, g Inventory) string {
	if g.Hosts == 0 && g.VMs == 0 {
		return name
	}
	return fmt.Sprintf("%s+%d,%d", name, g.Hosts, g.VMs)
}

// ParseSpec reads what Spec writes.
func ParseSpec(spec string) (string, Inventory, error) {
	name, growth, grown := strings.Cut(spec, "+")
	if !grown {
		return name, Inventory{}, nil
	}
	h, v, ok := strings.Cut(growth, ",")
	hosts, herr := strconv.Atoi(h)
	vms, verr := strconv.Atoi(v)
	if !ok || herr != nil || verr != nil {
		return "", Inventory{}, fmt.Errorf("simulator spec %q: want NAME or NAME+HOSTS,VMS", spec)
	}
	g := Inventory{Hosts: hosts, VMs: vms}
	if err := g.Check(); err != nil {
		return "", Inventory{}, err
	}
	return name, g, nil
}
