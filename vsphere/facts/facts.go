package facts

// Facts is everything the preflight checks read, gathered in one pass.
type Facts struct {
	// Target names what was asked, without credentials: a URL or "simulator".
	Target string `json:"target"`
	// Product is the server's about.fullName, e.g. "VMware vCenter Server 8.0.3".
	Product string `json:"product,omitempty"`
	// VMs has one entry per configured router, in configuration order,
	// Found=false when no VM has that name.
	VMs []VM `json:"vms"`
	// Hosts are every host a router can run on: the routers' own hosts and
	// every host of their clusters.
	Hosts []Host `json:"hosts"`
	// Clusters holding a router's host.
	Clusters []Cluster `json:"clusters,omitempty"`
	// Networks has one entry per configured portgroup name.
	Networks []Network `json:"networks"`
}

// NetworkKind says which kind of vSphere network a portgroup name resolved to.
type NetworkKind string

// Network kinds.
const (
	KindStandard    NetworkKind = "standard"    // HostPortGroup on a standard vSwitch
	KindDistributed NetworkKind = "distributed" // DistributedVirtualPortgroup
	KindOpaque      NetworkKind = "opaque"      // NSX opaque network: not supported yet
)

// VM is a router VM.
type VM struct {
	Name       string `json:"name"`
	Found      bool   `json:"found"`
	Ref        string `json:"ref,omitempty"`         // managed object id, e.g. vm-42
	PowerState string `json:"power_state,omitempty"` // poweredOn, poweredOff, suspended
	Host       string `json:"host,omitempty"`        // name of runtime.host
	// Datastores holding the VM's files and disks, by name.
	Datastores []string `json:"datastores,omitempty"`
	NICs       []NIC    `json:"nics,omitempty"`
}

// NIC is a virtual Ethernet card of a router.
type NIC struct {
	Label          string      `json:"label"` // "Network adapter 1"
	Key            int32       `json:"key"`
	Type           string      `json:"type,omitempty"` // vmxnet3, e1000e, ...
	MAC            string      `json:"mac"`            // lower case, colon separated
	AddressType    string      `json:"address_type"`   // manual, generated, assigned
	Connected      bool        `json:"connected"`
	StartConnected bool        `json:"start_connected"`
	Network        string      `json:"network"` // the portgroup or network name of its backing
	Kind           NetworkKind `json:"kind"`
	PortgroupKey   string      `json:"portgroup_key,omitempty"` // distributed only
	SwitchUUID     string      `json:"switch_uuid,omitempty"`   // distributed only
}

// Host is an ESXi host a router can run on.
type Host struct {
	Name string `json:"name"`
	Ref  string `json:"ref,omitempty"`
	// Cluster is the name of the host's ClusterComputeResource; empty for a
	// standalone host (parent is a plain ComputeResource).
	Cluster string `json:"cluster,omitempty"`
	// ConnectionState is runtime.connectionState: connected, disconnected, notResponding.
	ConnectionState string `json:"connection_state,omitempty"`
	// ReversePathFwdCheckPromisc is the advanced option
	// Net.ReversePathFwdCheckPromisc; nil when the host does not report it.
	ReversePathFwdCheckPromisc *int64      `json:"reverse_path_fwd_check_promisc,omitempty"`
	VSwitches                  []VSwitch   `json:"vswitches,omitempty"`
	Portgroups                 []Portgroup `json:"portgroups,omitempty"`
}

// Security is a security policy as vSphere stores it: a nil field is unset
// (a portgroup then inherits the vSwitch's value).
type Security struct {
	Promiscuous     *bool `json:"promiscuous,omitempty"`
	MacChanges      *bool `json:"mac_changes,omitempty"`
	ForgedTransmits *bool `json:"forged_transmits,omitempty"`
}

// VSwitch is a standard vSwitch.
type VSwitch struct {
	Name string `json:"name"`
	// Uplinks are the physical NICs bonded to the vSwitch (spec.bridge).
	Uplinks []string `json:"uplinks,omitempty"`
	// ActiveUplinks is the teaming policy's active NIC order.
	ActiveUplinks []string `json:"active_uplinks,omitempty"`
	Security      Security `json:"security"`
}

// Portgroup is a standard portgroup on one host.
type Portgroup struct {
	Name    string `json:"name"`
	VSwitch string `json:"vswitch"`
	VLAN    int32  `json:"vlan"`
	// Override is the portgroup's own policy (spec.policy.security): nil
	// fields inherit from the vSwitch.
	Override Security `json:"override"`
	// Computed is the effective policy the host reports (computedPolicy).
	Computed Security `json:"computed"`
	// ActiveUplinks is the effective teaming's active NIC order.
	ActiveUplinks []string `json:"active_uplinks,omitempty"`
}

// Cluster is a cluster holding a router's host.
type Cluster struct {
	Name       string   `json:"name"`
	Ref        string   `json:"ref,omitempty"`
	Hosts      []string `json:"hosts"`
	DRSEnabled bool     `json:"drs_enabled"`
	Rules      []Rule   `json:"rules,omitempty"`
}

// RuleKind is the kind of a DRS rule.
type RuleKind string

// DRS rule kinds carpvm distinguishes.
const (
	RuleAntiAffinity RuleKind = "anti-affinity" // ClusterAntiAffinityRuleSpec
	RuleAffinity     RuleKind = "affinity"      // ClusterAffinityRuleSpec
	RuleOther        RuleKind = "other"         // VM-host rules and the rest
)

// Rule is a DRS rule of a cluster.
type Rule struct {
	Name      string   `json:"name"`
	Kind      RuleKind `json:"kind"`
	Enabled   bool     `json:"enabled"`
	Mandatory bool     `json:"mandatory"`
	VMs       []string `json:"vms,omitempty"` // VM names
}

// Network is what a configured portgroup name resolved to.
type Network struct {
	Name  string      `json:"name"` // the configured portgroup name
	Found bool        `json:"found"`
	Kind  NetworkKind `json:"kind,omitempty"`
	// DVPortgroup is set for a distributed portgroup.
	DVPortgroup *DVPortgroup `json:"dv_portgroup,omitempty"`
	// Attached lists every NIC of every other VM (not the routers) on this
	// network, for the vmac.conflict check.
	Attached []AttachedNIC `json:"attached,omitempty"`
}

// AttachedNIC is another VM's NIC on a router network.
type AttachedNIC struct {
	VM  string `json:"vm"`
	MAC string `json:"mac"`
}

// DVPortgroup is a distributed portgroup and the relevant defaults of its switch.
type DVPortgroup struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	Switch     string `json:"switch"`
	SwitchUUID string `json:"switch_uuid"`
	// SwitchRef is the switch's managed object reference, Type:id.
	SwitchRef string `json:"switch_ref,omitempty"`
	// Uplink is set for the switch's uplink portgroup: its ports are the
	// hosts' physical NICs, not VMs'.
	Uplink        bool   `json:"uplink,omitempty"`
	ConfigVersion string `json:"config_version"`
	// VLAN is the access VLAN id; Trunk is set instead for a trunk portgroup.
	VLAN  int32  `json:"vlan"`
	Trunk string `json:"trunk,omitempty"`
	// Security is the portgroup's DefaultPortConfig.SecurityPolicy.
	Security DVSecurity `json:"security"`
	// MACManagement is DefaultPortConfig.MacManagementPolicy (vSphere 6.7+);
	// nil when the server does not report one.
	MACManagement *DVMACManagement `json:"mac_management,omitempty"`
	// SwitchSecurity and SwitchMACManagement are the switch's own
	// DefaultPortConfig, what an Inherited portgroup setting resolves to.
	SwitchSecurity      DVSecurity       `json:"switch_security"`
	SwitchMACManagement *DVMACManagement `json:"switch_mac_management,omitempty"`
	// ActiveUplinks is the effective teaming's active uplink port names.
	ActiveUplinks []string `json:"active_uplinks,omitempty"`
	// Hosts are the member hosts of the switch.
	Hosts []string `json:"hosts,omitempty"`
}

// Setting is a distributed-switch boolean policy: its value and whether the
// portgroup inherits it from the switch.
type Setting struct {
	Value     bool `json:"value"`
	Inherited bool `json:"inherited"`
	Set       bool `json:"set"` // false when vSphere did not report the field
}

// DVSecurity is a DVS SecurityPolicy.
type DVSecurity struct {
	Inherited       bool    `json:"inherited"`
	Promiscuous     Setting `json:"promiscuous"`
	MacChanges      Setting `json:"mac_changes"`
	ForgedTransmits Setting `json:"forged_transmits"`
}

// DVMACManagement is a DVS MacManagementPolicy (vSphere 6.7+).
type DVMACManagement struct {
	Inherited       bool `json:"inherited"`
	Promiscuous     bool `json:"promiscuous"`
	MacChanges      bool `json:"mac_changes"`
	ForgedTransmits bool `json:"forged_transmits"`
	MACLearning     bool `json:"mac_learning"`
}
