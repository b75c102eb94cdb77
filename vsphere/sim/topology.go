package sim

import (
	"fmt"
	"slices"

	"github.com/carpvm/carpvm/vsphere/facts"
)

// Topology describes a simulated vSphere inventory: one datacenter with its
// clusters, hosts (each with its standard vSwitches and portgroups),
// datastores, distributed switches, VMs and DRS rules. It is plain data;
// Start builds it through the vSphere API.
type Topology struct {
	// Name says which builder made it, e.g. "default"; for humans.
	Name       string
	Datacenter string
	Clusters   []ClusterSpec
	Hosts      []Host
	// Datastores are mounted on the hosts they list; one listing several
	// hosts is shared storage.
	Datastores []Datastore
	Switches   []DVSwitch
	// OpaqueNetworks are NSX opaque networks (nsx.LogicalSwitch), by name.
	OpaqueNetworks []string
	VMs            []VM
	// Rules are DRS VM-VM rules, added to their cluster after the VMs exist.
	Rules []Rule
	// API is the vim25 version the server advertises (about.apiVersion,
	// vimServiceVersions.xml), so the one clients such as pyvmomi speak
	// and are answered in: "" for vcsim's 6.5, a vCenter 6.5; "6.7" for a
	// vCenter 6.7, whose answers carry what 6.7 added (a distributed
	// port's macManagementPolicy, which Ansible's vmware_dvs_portgroup
	// reads and writes).
	API string
}

// ClusterSpec is a ClusterComputeResource.
type ClusterSpec struct {
	Name string
	DRS  bool
}

// Host is an ESXi host: standalone when Cluster is empty.
type Host struct {
	Name    string
	Cluster string
	// PNICs is the number of physical NICs, vmnic0..vmnic(N-1); at least 2.
	PNICs      int
	VSwitches  []VSwitch
	Portgroups []Portgroup
	// ReversePathFwdCheckPromisc seeds the advanced option of that name.
	ReversePathFwdCheckPromisc int64
}

// VSwitch is a standard vSwitch. Security nil fields take the ESXi defaults
// (promiscuous Reject, MAC changes Accept, forged transmits Accept).
type VSwitch struct {
	Name    string
	Uplinks []string // physical NICs bonded to it; none for an internal switch
	// Active is the teaming's active NIC order; nil means every uplink.
	Active   []string
	Security facts.Security
}

// Portgroup is a standard portgroup; Security nil fields inherit from the
// vSwitch, as on ESXi.
type Portgroup struct {
	Name     string
	VSwitch  string
	VLAN     int32
	Security facts.Security
}

// Datastore is a datastore mounted on Hosts.
type Datastore struct {
	Name  string
	Hosts []string
}

// DVSwitch is a distributed switch whose member hosts are Hosts.
type DVSwitch struct {
	Name    string
	Hosts   []string
	Uplinks int // uplink ports per host, uplink1..uplinkN; all active
	// Security is the switch's default port security.
	Security DVSecurity
	// MACManagement, when set, is the switch's default MacManagementPolicy
	// (vSphere 6.7+).
	MACManagement *MACManagement
	Portgroups    []DVPortgroup
}

// DVPortgroup is a distributed portgroup. A nil policy inherits the switch's.
type DVPortgroup struct {
	Name          string
	VLAN          int32
	Security      *DVSecurity
	MACManagement *MACManagement
}

// DVSecurity is a distributed port security policy (true = Accept).
type DVSecurity struct {
	Promiscuous     bool
	MacChanges      bool
	ForgedTransmits bool
}

// MACManagement is a distributed port MacManagementPolicy.
type MACManagement struct {
	Promiscuous     bool
	MacChanges      bool
	ForgedTransmits bool
	MACLearning     bool
}

// VM is a virtual machine placed on Host with its files on Datastore.
type VM struct {
	Name      string
	Host      string
	Datastore string
	PoweredOn bool
	// DiskGB is the size of its one virtual disk, on Datastore; 0 for none.
	DiskGB int
	NICs   []NIC
	// Bulk marks inventory filler, which may be built as a copy of an
	// earlier bulk VM of the same NICs and power state (bulk.go); a VM
	// with a disk, a manual MAC or a disconnected NIC never is.
	Bulk bool
}

// NIC is a virtual Ethernet card on the portgroup (standard or distributed)
// named Network.
type NIC struct {
	Network string
	Type    string // vmxnet3 (default), e1000e, e1000
	// MAC, when set, makes the address manual; otherwise it is generated.
	MAC          string
	Disconnected bool
}

// Rule is a DRS VM-VM rule.
type Rule struct {
	Cluster   string
	Name      string
	Kind      facts.RuleKind // anti-affinity or affinity
	Enabled   bool
	Mandatory bool
	VMs       []string
}

// Names and addresses of the typical user's inventory.
const (
	DefaultDatacenter = "Datacenter"
	DefaultVMAC       = "02:00:00:aa:bb:cc" // config.Simulator()'s vmac on network public
	Router1           = "router-002"
	Router2           = "router-003"
	PortgroupPublic   = "Public"
	PortgroupInternal = "IntraNought"
)

func boolp(b bool) *bool { return &b }

// standardHost is an ESXi host with the typical user's networking:
// vSwitch0 (vmnic0) holding VM Network, Management Network and Public;
// vSwitch1 holding IntraNought, internal (no uplink) unless internalUplink.
// Security is the ESXi default everywhere.
func standardHost(name, cluster string, internalUplink bool) Host {
	internal := VSwitch{Name: "vSwitch1"}
	if internalUplink {
		internal.Uplinks = []string{"vmnic1"}
	}
	return Host{
		Name:    name,
		Cluster: cluster,
		PNICs:   2,
		VSwitches: []VSwitch{
			{Name: "vSwitch0", Uplinks: []string{"vmnic0"}},
			internal,
		},
		Portgroups: []Portgroup{
			{Name: "VM Network", VSwitch: "vSwitch0"},
			{Name: "Management Network", VSwitch: "vSwitch0"},
			{Name: PortgroupPublic, VSwitch: "vSwitch0"},
			{Name: PortgroupInternal, VSwitch: "vSwitch1"},
		},
	}
}

// router is a powered-on router VM with a vmxnet3 NIC on IntraNought
// (vmx0) and one on Public (vmx1) carrying publicMAC (generated when empty).
func router(name, host, datastore, publicMAC string) VM {
	return VM{
		Name: name, Host: host, Datastore: datastore, PoweredOn: true, DiskGB: 8,
		NICs: []NIC{
			{Network: PortgroupInternal, Type: "vmxnet3"},
			{Network: PortgroupPublic, Type: "vmxnet3", MAC: publicMAC},
		},
	}
}

// Default is the typical user's inventory: one standalone
// host esxi-01 with one datastore; vSwitch0 (uplink vmnic0) with portgroup
// Public, internal vSwitch1 with IntraNought; router-002 and router-003
// powered on, both on esxi-01 and datastore1, each with a vmxnet3 NIC on
// each portgroup; ESXi default security; both Public NICs manual-MAC
// 02:00:00:aa:bb:cc, the vmac of config.Simulator().
func Default() Topology {
	return Topology{
		Name:       "default",
		Datacenter: DefaultDatacenter,
		Hosts:      []Host{standardHost("esxi-01", "", false)},
		Datastores: []Datastore{{Name: "datastore1", Hosts: []string{"esxi-01"}}},
		VMs: []VM{
			router(Router1, "esxi-01", "datastore1", DefaultVMAC),
			router(Router2, "esxi-01", "datastore1", DefaultVMAC),
		},
	}
}

// Cluster puts hosts esxi-01..esxi-NN in the DRS cluster Cluster-01 with two
// shared datastores; router-002 runs on esxi-01 (datastore ds-a), router-003
// on esxi-02 (ds-b). With antiAffinity an enabled anti-affinity rule holds
// the two routers. hosts is at least 1 (both routers then share the host).
func Cluster(hosts int, antiAffinity bool) Topology {
	hosts = max(hosts, 1)
	t := Topology{
		Name:       "cluster",
		Datacenter: DefaultDatacenter,
		Clusters:   []ClusterSpec{{Name: "Cluster-01", DRS: true}},
	}
	var names []string
	for i := 1; i <= hosts; i++ {
		name := hostName(i)
		names = append(names, name)
		t.Hosts = append(t.Hosts, standardHost(name, "Cluster-01", true))
	}
	t.Datastores = []Datastore{{Name: "ds-a", Hosts: names}, {Name: "ds-b", Hosts: names}}
	second := names[min(1, len(names)-1)]
	t.VMs = []VM{
		router(Router1, names[0], "ds-a", DefaultVMAC),
		router(Router2, second, "ds-b", DefaultVMAC),
	}
	if antiAffinity {
		t.Name = "cluster-anti-affinity"
		t.Rules = []Rule{{
			Cluster: "Cluster-01", Name: "separate-routers", Kind: facts.RuleAntiAffinity,
			Enabled: true, VMs: []string{Router1, Router2},
		}}
	}
	return t
}

// SeparateStandaloneHosts runs router-002 on standalone host esxi-01
// (datastore1) and router-003 on standalone host esxi-02 (datastore2); the
// internal vSwitch1 has an uplink so that the two hosts share IntraNought.
func SeparateStandaloneHosts() Topology {
	return Topology{
		Name:       "standalone-hosts",
		Datacenter: DefaultDatacenter,
		Hosts:      []Host{standardHost("esxi-01", "", true), standardHost("esxi-02", "", true)},
		Datastores: []Datastore{
			{Name: "datastore1", Hosts: []string{"esxi-01"}},
			{Name: "datastore2", Hosts: []string{"esxi-02"}},
		},
		VMs: []VM{
			router(Router1, "esxi-01", "datastore1", DefaultVMAC),
			router(Router2, "esxi-02", "datastore2", DefaultVMAC),
		},
	}
}

// PortgroupOverrides is Default where the portgroups override the vSwitch's
// security: Public accepts promiscuous mode, MAC changes and forged
// transmits; IntraNought overrides promiscuous (Accept) only and inherits
// the rest from vSwitch1.
func PortgroupOverrides() Topology {
	t := Default()
	t.Name = "portgroup-overrides"
	h := &t.Hosts[0]
	for i := range h.Portgroups {
		switch h.Portgroups[i].Name {
		case PortgroupPublic:
			h.Portgroups[i].Security = facts.Security{Promiscuous: boolp(true), MacChanges: boolp(true), ForgedTransmits: boolp(true)}
		case PortgroupInternal:
			h.Portgroups[i].Security = facts.Security{Promiscuous: boolp(true)}
		}
	}
	return t
}

// Teamed is Default where vSwitch0 teams vmnic0 and vmnic1, both active, and
// Public accepts promiscuous mode: the case where ESXi reflects a router's
// own multicast back to it unless Net.ReversePathFwdCheckPromisc is 1.
func Teamed() Topology {
	t := Default()
	t.Name = "teamed"
	h := &t.Hosts[0]
	h.VSwitches[0].Uplinks = []string{"vmnic0", "vmnic1"}
	for i := range h.Portgroups {
		if h.Portgroups[i].Name == PortgroupPublic {
			h.Portgroups[i].Security = facts.Security{Promiscuous: boolp(true)}
		}
	}
	return t
}

// Distributed puts the routers' networks on distributed portgroups
// IntraNought and Public of switch DSwitch (two active uplinks, switch
// defaults all Reject, as vSphere creates them), with esxi-01 as member.
// Without macLearning the portgroups accept promiscuous mode, MAC changes
// and forged transmits; with it they enable MAC learning instead and keep
// promiscuous mode rejected.
func Distributed(macLearning bool) Topology {
	t := Default()
	t.Name = "distributed"
	// A MAC management policy is vSphere 6.7's: so is the vCenter.
	t.API = "6.7"
	h := &t.Hosts[0]
	h.VSwitches = h.VSwitches[:1]
	h.Portgroups = h.Portgroups[:2] // VM Network, Management Network
	pgSec := &DVSecurity{Promiscuous: true, MacChanges: true, ForgedTransmits: true}
	pgMAC := &MACManagement{Promiscuous: true, MacChanges: true, ForgedTransmits: true}
	if macLearning {
		t.Name = "distributed-mac-learning"
		pgSec = &DVSecurity{MacChanges: true, ForgedTransmits: true}
		pgMAC = &MACManagement{MacChanges: true, ForgedTransmits: true, MACLearning: true}
	}
	t.Switches = []DVSwitch{{
		Name: "DSwitch", Hosts: []string{"esxi-01"}, Uplinks: 2,
		MACManagement: &MACManagement{},
		Portgroups: []DVPortgroup{
			{Name: PortgroupInternal, Security: pgSec, MACManagement: pgMAC},
			{Name: PortgroupPublic, VLAN: 0, Security: pgSec, MACManagement: pgMAC},
		},
	}}
	return t
}

// Opaque is Default where Public is an NSX opaque network: the hosts have
// no Public portgroup and the routers' second NICs are backed by the
// opaque network.
func Opaque() Topology {
	t := Default()
	t.Name = "opaque"
	h := &t.Hosts[0]
	h.Portgroups = slices.DeleteFunc(h.Portgroups, func(p Portgroup) bool { return p.Name == PortgroupPublic })
	t.OpaqueNetworks = []string{PortgroupPublic}
	return t
}

// SharedVMAC is Default with both routers' Public NICs manual-MAC set to mac
// (Default itself uses DefaultVMAC). An empty mac leaves them generated.
func SharedVMAC(mac string) Topology {
	t := Default().WithNICMAC(Router1, PortgroupPublic, mac).WithNICMAC(Router2, PortgroupPublic, mac)
	t.Name = "shared-vmac"
	return t
}

// VRRPNeighbour is Default plus VM keepalived-01 on IntraNought, a VRRP
// router whose VRID 1 equals the network's CARP VHID: its NIC uses
// 00:00:5e:00:01:01, the virtual MAC of VHID 1, as a VRRP master does.
func VRRPNeighbour() Topology {
	t := Default().WithVM(VM{Name: "keepalived-01", Host: "esxi-01", Datastore: "datastore1", PoweredOn: true,
		NICs: []NIC{{Network: PortgroupInternal, MAC: "00:00:5e:00:01:01"}}})
	t.Name = "vrrp-neighbour"
	return t
}

// Scaled is Default plus vms filler VMs on filler standalone hosts (one per
// 100 VMs, each with its own datastore and the standard networking). Every
// filler VM has a NIC on VM Network; every tenth also one on Public.
func Scaled(vms int) Topology {
	t := Default()
	t.Name = "scaled"
	const perHost = 100
	vms = max(vms, 0)
	for i := 0; i < vms; i++ {
		if i%perHost == 0 {
			n := i/perHost + 1
			host := fillerName("esxi-filler-", n, 3)
			t.Hosts = append(t.Hosts, standardHost(host, "", false))
			t.Datastores = append(t.Datastores, Datastore{Name: fillerName("filler-ds-", n, 3), Hosts: []string{host}})
		}
		host := t.Hosts[len(t.Hosts)-1].Name
		ds := t.Datastores[len(t.Datastores)-1].Name
		vm := VM{Name: fillerName("filler-", i+1, 5), Host: host, Datastore: ds, PoweredOn: true,
			NICs: []NIC{{Network: "VM Network"}}}
		if i%10 == 0 {
			vm.NICs = append(vm.NICs, NIC{Network: PortgroupPublic})
		}
		t.VMs = append(t.VMs, vm)
	}
	return t
}

// Topologies lists the named topologies `carpvm sim --topology` serves.
func Topologies() map[string]func() Topology {
	return map[string]func() Topology{
		"default":                  Default,
		"cluster":                  func() Topology { return Cluster(3, false) },
		"cluster-anti-affinity":    func() Topology { return Cluster(3, true) },
		"standalone-hosts":         SeparateStandaloneHosts,
		"opaque":                   Opaque,
		"portgroup-overrides":      PortgroupOverrides,
		"teamed":                   Teamed,
		"distributed":              func() Topology { return Distributed(false) },
		"distributed-mac-learning": func() Topology { return Distributed(true) },
		"vrrp-neighbour":           VRRPNeighbour,
		"every-step":               EveryStep,
	}
}

// WithNICMAC returns a copy of t where vm's NICs on network carry mac
// (manual), or a generated MAC when mac is empty.
func (t Topology) WithNICMAC(vm, network, mac string) Topology {
	t = t.clone()
	for i := range t.VMs {
		if t.VMs[i].Name != vm {
			continue
		}
		for j := range t.VMs[i].NICs {
			if t.VMs[i].NICs[j].Network == network {
				t.VMs[i].NICs[j].MAC = mac
			}
		}
	}
	return t
}

// WithVM returns a copy of t with vm added.
func (t Topology) WithVM(vm VM) Topology {
	t = t.clone()
	t.VMs = append(t.VMs, vm)
	return t
}

// WithoutVM returns a copy of t without the VM named name.
func (t Topology) WithoutVM(name string) Topology {
	t = t.clone()
	vms := t.VMs[:0]
	for _, vm := range t.VMs {
		if vm.Name != name {
			vms = append(vms, vm)
		}
	}
	t.VMs = vms
	return t
}

// clone copies t deeply enough that With* edits do not alias the original.
func (t Topology) clone() Topology {
	c := t
	c.Clusters = append([]ClusterSpec(nil), t.Clusters...)
	c.Hosts = make([]Host, len(t.Hosts))
	for i, h := range t.Hosts {
		h.VSwitches = append([]VSwitch(nil), h.VSwitches...)
		h.Portgroups = append([]Portgroup(nil), h.Portgroups...)
		c.Hosts[i] = h
	}
	c.Datastores = append([]Datastore(nil), t.Datastores...)
	c.Switches = append([]DVSwitch(nil), t.Switches...)
	for i := range c.Switches {
		c.Switches[i].Portgroups = append([]DVPortgroup(nil), c.Switches[i].Portgroups...)
	}
	c.OpaqueNetworks = append([]string(nil), t.OpaqueNetworks...)
	c.VMs = make([]VM, len(t.VMs))
	for i, vm := range t.VMs {
		vm.NICs = append([]NIC(nil), vm.NICs...)
		c.VMs[i] = vm
	}
	c.Rules = append([]Rule(nil), t.Rules...)
	return c
}

func hostName(i int) string { return fillerName("esxi-", i, 2) }

// fillerName formats prefix followed by n zero-padded to width digits.
func fillerName(prefix string, n, width int) string {
	return fmt.Sprintf("%s%0*d", prefix, width, n)
}

// EveryStep is a cluster whose --fix --relocate --set-vmac plan has a step
// of every standard kind: host options and a promiscuous toggle (vSwitch0
// teamed, Public accepting promiscuous on esxi-01), portgroup security, a
// DRS rule, a relocation (both routers on esxi-01) and NIC MACs
// (generated on Public).
func EveryStep() Topology {
	t := Cluster(2, false).WithNICMAC(Router1, PortgroupPublic, "").WithNICMAC(Router2, PortgroupPublic, "")
	t.Name = "every-step"
	yes := true
	for i := range t.Hosts {
		h := &t.Hosts[i]
		h.VSwitches[0].Uplinks = []string{"vmnic0", "vmnic1"}
		for j := range h.Portgroups {
			if h.Portgroups[j].Name == PortgroupPublic {
				h.Portgroups[j].VLAN = 42
				if i == 0 {
					h.Portgroups[j].Security.Promiscuous = &yes
				}
			}
		}
		h.VSwitches[1].Uplinks = nil // IntraNought internal
	}
	t.VMs[1].Host = t.Hosts[0].Name
	return t
}
