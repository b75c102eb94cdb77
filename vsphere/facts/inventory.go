package facts

// Inventory is the security policy of every virtual network one vCenter
// holds, and which VMs each reaches: what carpvm audit reads. It is
// gathered whole, not only under a pair.
type Inventory struct {
	// Target names what was read, without credentials.
	Target  string `json:"target"`
	Product string `json:"product,omitempty"`
	// Hosts are every host, each with its vSwitches and standard
	// portgroups, sorted by name.
	Hosts []Host `json:"hosts"`
	// DVPortgroups are every distributed portgroup with its switch's
	// defaults, sorted by switch and name.
	DVPortgroups []DVPortgroup `json:"dv_portgroups"`
	// VMs are every VM with the networks its NICs use, sorted by name.
	VMs []InventoryVM `json:"vms"`
}

// InventoryVM is a VM and the networks it is connected to.
type InventoryVM struct {
	Name     string      `json:"name"`
	Host     string      `json:"host,omitempty"`
	Networks []VMNetwork `json:"networks,omitempty"`
}

// VMNetwork is a network a VM uses, by name and kind.
type VMNetwork struct {
	Name string      `json:"name"`
	Kind NetworkKind `json:"kind"`
}
