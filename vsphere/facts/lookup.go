package facts

// VM returns the router VM named name.
func (f *Facts) VM(name string) (VM, bool) {
	for _, vm := range f.VMs {
		if vm.Name == name {
			return vm, true
		}
	}
	return VM{}, false
}

// Host returns the host named name.
func (f *Facts) Host(name string) (Host, bool) {
	for _, h := range f.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// Network returns the network with the configured portgroup name.
func (f *Facts) Network(name string) (Network, bool) {
	for _, n := range f.Networks {
		if n.Name == name {
			return n, true
		}
	}
	return Network{}, false
}

// Portgroup returns the host's standard portgroup named name.
func (h *Host) Portgroup(name string) (Portgroup, bool) {
	for _, pg := range h.Portgroups {
		if pg.Name == name {
			return pg, true
		}
	}
	return Portgroup{}, false
}

// VSwitch returns the host's standard vSwitch named name.
func (h *Host) VSwitch(name string) (VSwitch, bool) {
	for _, vs := range h.VSwitches {
		if vs.Name == name {
			return vs, true
		}
	}
	return VSwitch{}, false
}

// NICsOn returns the VM's NICs backed by the network named network.
func (vm *VM) NICsOn(network string) []NIC {
	var nics []NIC
	for _, n := range vm.NICs {
		if n.Network == network {
			nics = append(nics, n)
		}
	}
	return nics
}
