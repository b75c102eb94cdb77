package sim

import (
	"errors"
	"fmt"
	"net"
	"slices"
)

// Validate checks that every name t refers to exists and that names are
// unique, so that Start fails with a clear error instead of a half-built
// inventory.
func (t Topology) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("sim: topology %q: "+format, append([]any{t.Name}, args...)...))
	}
	if t.Datacenter == "" {
		bad("no datacenter name")
	}
	clusters := map[string]bool{}
	for _, c := range t.Clusters {
		if c.Name == "" || clusters[c.Name] {
			bad("cluster name %q is empty or repeated", c.Name)
		}
		clusters[c.Name] = true
	}
	hosts := map[string]Host{}
	for _, h := range t.Hosts {
		if h.Name == "" {
			bad("a host has no name")
		}
		if _, dup := hosts[h.Name]; dup {
			bad("host %q is defined twice", h.Name)
		}
		hosts[h.Name] = h
		if h.Cluster != "" && !clusters[h.Cluster] {
			bad("host %q is in unknown cluster %q", h.Name, h.Cluster)
		}
		if v := h.ReversePathFwdCheckPromisc; v != 0 && v != 1 {
			bad("host %q: ReversePathFwdCheckPromisc %d, want 0 or 1", h.Name, v)
		}
		var switches []string
		for _, vs := range h.VSwitches {
			switches = append(switches, vs.Name)
		}
		for _, pg := range h.Portgroups {
			if !slices.Contains(switches, pg.VSwitch) {
				bad("host %q: portgroup %q is on unknown vSwitch %q", h.Name, pg.Name, pg.VSwitch)
			}
		}
	}
	datastores := map[string][]string{}
	for _, ds := range t.Datastores {
		if _, dup := datastores[ds.Name]; dup || ds.Name == "" {
			bad("datastore name %q is empty or repeated", ds.Name)
		}
		datastores[ds.Name] = ds.Hosts
		for _, h := range ds.Hosts {
			if _, ok := hosts[h]; !ok {
				bad("datastore %q is mounted on unknown host %q", ds.Name, h)
			}
		}
	}
	networks := map[string]bool{}
	for _, h := range t.Hosts {
		for _, pg := range h.Portgroups {
			networks[pg.Name] = true
		}
	}
	for _, sw := range t.Switches {
		for _, h := range sw.Hosts {
			if _, ok := hosts[h]; !ok {
				bad("distributed switch %q has unknown host %q", sw.Name, h)
			}
		}
		for _, pg := range sw.Portgroups {
			if networks[pg.Name] {
				bad("distributed portgroup %q clashes with another network of that name", pg.Name)
			}
			networks[pg.Name] = true
		}
	}
	for _, name := range t.OpaqueNetworks {
		if networks[name] {
			bad("opaque network %q clashes with another network of that name", name)
		}
		networks[name] = true
	}
	vms := map[string]bool{}
	for _, vm := range t.VMs {
		if vm.Name == "" || vms[vm.Name] {
			bad("VM name %q is empty or repeated", vm.Name)
		}
		vms[vm.Name] = true
		if _, ok := hosts[vm.Host]; !ok {
			bad("VM %q is on unknown host %q", vm.Name, vm.Host)
		}
		if !slices.Contains(datastores[vm.Datastore], vm.Host) {
			bad("VM %q: datastore %q is not mounted on host %q", vm.Name, vm.Datastore, vm.Host)
		}
		for i, nic := range vm.NICs {
			if !networks[nic.Network] {
				bad("VM %q NIC %d: unknown network %q", vm.Name, i+1, nic.Network)
			}
			if slices.Contains(t.OpaqueNetworks, nic.Network) && !slices.ContainsFunc(hosts[vm.Host].Portgroups, func(p Portgroup) bool { return p.Name == "VM Network" }) {
				bad("VM %q NIC %d: a NIC on opaque network %q needs portgroup VM Network on host %q to be created", vm.Name, i+1, nic.Network, vm.Host)
			}
			if nic.MAC != "" {
				if mac, err := net.ParseMAC(nic.MAC); err != nil || len(mac) != 6 {
					bad("VM %q NIC %d: %q is not a 48-bit MAC address", vm.Name, i+1, nic.MAC)
				}
			}
			switch nic.Type {
			case "", "vmxnet3", "e1000e", "e1000", "vmxnet2", "pcnet32":
			default:
				bad("VM %q NIC %d: unknown NIC type %q (want vmxnet3, e1000e, e1000)", vm.Name, i+1, nic.Type)
			}
		}
	}
	for _, r := range t.Rules {
		if !clusters[r.Cluster] {
			bad("rule %q is in unknown cluster %q", r.Name, r.Cluster)
		}
		for _, vm := range r.VMs {
			if !vms[vm] {
				bad("rule %q names unknown VM %q", r.Name, vm)
			}
		}
	}
	return errors.Join(errs...)
}
