package config

import (
	"net"
	"net/netip"
)

// Config is a validated carpvm configuration.
type Config struct {
	VSphere  VSphere
	Pair     Pair
	Networks []Network
}

// VSphere says how to reach vCenter or ESXi.
type VSphere struct {
	URL          string // e.g. https://vcenter.example/sdk
	Username     string
	Password     Secret // from CARPVM_VSPHERE_PASSWORD, GOVC_PASSWORD or PasswordFile
	PasswordFile string
	Insecure     bool   // skip TLS verification: an explicit choice
	Thumbprint   string // pin the server certificate's SHA-1 thumbprint instead of a CA
}

// Pair is the CARP router pair.
type Pair struct {
	Name    string
	Routers []Router // the first is the preferred master
}

// Router is one router VM of the pair.
type Router struct {
	Name    string // the router's name in reports
	VM      string // the vSphere VM name
	AdvSkew int    // 0..254
}

// Network is one CARP network (one VHID on one portgroup).
type Network struct {
	Name      string
	Portgroup string
	Interface string // the routers' interface name on this network, for rendered configs (e.g. vmx0)
	VHID      int    // 1..255
	AdvBase   int    // seconds, 1..255 (default 1)
	VIPs      []netip.Prefix
	PassFile  string
	VMAC      net.HardwareAddr // OVH IPFO virtual MAC shared by both routers; nil when unset
	// Addresses are the routers' own (real) addresses on this network, by
	// router name; optional, used by rendered configs (ucarp --srcip) and labs.
	Addresses map[string]netip.Prefix
}

// VirtualMAC is the CARP virtual MAC of the network's VHID, 00:00:5e:00:01:<vhid>.
func (n Network) VirtualMAC() net.HardwareAddr {
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x01, byte(n.VHID)}
}

// Network returns the network named name.
func (c *Config) Network(name string) (Network, bool) {
	for _, n := range c.Networks {
		if n.Name == name {
			return n, true
		}
	}
	return Network{}, false
}

// RouterVMs returns the VM names of the pair, in order.
func (c *Config) RouterVMs() []string {
	vms := make([]string, len(c.Pair.Routers))
	for i, r := range c.Pair.Routers {
		vms[i] = r.VM
	}
	return vms
}
