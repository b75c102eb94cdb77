package config

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
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
	// CACerts is a file of PEM CA certificates to verify the server with
	// (vsphere.ca_certs, else GOVC_TLS_CA_CERTS; several files separated
	// by the OS's path list separator, as govc takes them).
	CACerts string
	// KnownHosts is a govc known-hosts file ("HOST THUMBPRINT" lines,
	// GOVC_TLS_KNOWN_HOSTS): the server's thumbprint there is pinned when
	// Thumbprint is not set.
	KnownHosts string
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

// Network is one CARP network: a portgroup with one or more CARP groups.
type Network struct {
	Name      string
	Portgroup string
	Interface string // the routers' interface name on this network, for rendered configs (e.g. vmx0)
	// Group is the network's first CARP group: the one of the vhid/vips
	// shorthand, or groups[0]. Code that handles one group per network reads
	// VHID and VIPs through it; Groups lists them all.
	Group
	// MoreGroups are groups[1:], for active/active pairs.
	MoreGroups []Group
	AdvBase    int // seconds, 1..255 (default 1), every group of the network
	// Protocol is what the routers speak on the network: ProtocolCARP
	// (default) or ProtocolVRRP3 (FreeBSD 15 carpver 3, keepalived).
	Protocol Protocol
	// VRRPInterval is a VRRPv3 network's advertisement interval in
	// centiseconds (1..4095; default AdvBase*100).
	VRRPInterval int
	// Mode is how adverts travel: ModeMulticast (default) or ModeUnicast
	// (FreeBSD 14 peer/peer6: to the other router's address in Addresses).
	Mode     Mode
	PassFile string
	VMAC     net.HardwareAddr // OVH IPFO virtual MAC shared by both routers; nil when unset
	// Addresses are the routers' own (real) addresses on this network, by
	// router name; optional, used by rendered configs (ucarp --srcip) and labs.
	Addresses map[string]netip.Prefix
	// groupsKey is "groups" when the groups came from a groups list, so
	// that errors name the key the operator wrote.
	groupsKey string
}

// Group is one CARP group (one VHID) of a network.
type Group struct {
	VHID int // 1..255
	VIPs []netip.Prefix
	// Master is the name of the router that should hold the group (it gets
	// the lower of the two routers' advskews): by default the router with
	// the lower advskew, the pair's first unless advskews say otherwise.
	Master string
}

// Protocol is a network's redundancy protocol.
type Protocol string

// The protocols carpvm.yaml accepts (networks[].protocol).
const (
	ProtocolCARP  Protocol = "carp"
	ProtocolVRRP3 Protocol = "vrrp3"
)

// Mode is how a network's adverts travel.
type Mode string

// The modes carpvm.yaml accepts (networks[].mode).
const (
	ModeMulticast Mode = "multicast"
	ModeUnicast   Mode = "unicast"
)

// VRRPPriority is the VRRPv3 priority router runs group g with: 254 less
// its advskew (AdvSkew), so that the preferred master has the higher
// priority and a router's demotion (up to 240) hands a group over as it
// does under CARP. 255 is left to an address owner, which a pair of
// routers sharing VIPs never is.
func (c *Config) VRRPPriority(router string, g Group) int {
	return max(254-c.AdvSkew(router, g), 1)
}

// Peer is the address router sends a unicast network's adverts to: the
// other router's address on the network. ok is false for a multicast
// network or when it is not configured.
func (c *Config) Peer(n Network, router string) (netip.Addr, bool) {
	if n.Mode != ModeUnicast {
		return netip.Addr{}, false
	}
	for _, r := range c.Pair.Routers {
		if !strings.EqualFold(r.Name, router) {
			if p, ok := n.Addresses[r.Name]; ok {
				return p.Addr(), true
			}
		}
	}
	return netip.Addr{}, false
}

// VirtualMAC is the CARP virtual MAC of the group's VHID, 00:00:5e:00:01:<vhid>.
func (g Group) VirtualMAC() net.HardwareAddr {
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x01, byte(g.VHID)}
}

// Groups returns every CARP group of the network, the first one first.
func (n Network) Groups() []Group {
	return append([]Group{n.Group}, n.MoreGroups...)
}

// Masters returns the names of the routers that preferably hold a group of
// the network, each once, in group order.
func (n Network) Masters() []string {
	var names []string
	for _, g := range n.Groups() {
		if !slices.Contains(names, g.Master) {
			names = append(names, g.Master)
		}
	}
	return names
}

// AdvSkew is the advskew router runs group g with: the lower of the pair's
// two advskews when router is g's preferred master, the higher otherwise.
func (c *Config) AdvSkew(router string, g Group) int {
	lo, hi := c.advSkewRange()
	if strings.EqualFold(router, g.Master) {
		return lo
	}
	return hi
}

func (c *Config) advSkewRange() (lo, hi int) {
	if len(c.Pair.Routers) == 0 {
		return 0, 0
	}
	lo, hi = c.Pair.Routers[0].AdvSkew, c.Pair.Routers[0].AdvSkew
	for _, r := range c.Pair.Routers[1:] {
		lo, hi = min(lo, r.AdvSkew), max(hi, r.AdvSkew)
	}
	return lo, hi
}

// PreferredMaster is the router that holds a group whose master is not
// set: the one with the lower advskew, the first on a tie.
func (c *Config) PreferredMaster() string {
	best := -1
	for i, r := range c.Pair.Routers {
		if best < 0 || r.AdvSkew < c.Pair.Routers[best].AdvSkew {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return c.Pair.Routers[best].Name
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

// CheckVMACMasters reports why the network's groups cannot run as
// configured: on a network with a vmac, every VIP is bound upstream to that
// one MAC (an OVH failover IP is routed to one virtual MAC), and both
// routers' NICs carry it. Groups mastered by different routers would have
// both routers answer from that MAC at once, and the vSwitch would send
// every group's traffic to whichever router spoke last.
func (n Network) CheckVMACMasters() error {
	masters := n.Masters()
	if n.VMAC == nil || len(masters) < 2 {
		return nil
	}
	var parts []string
	for _, g := range n.Groups() {
		parts = append(parts, fmt.Sprintf("vhid %d on %s", g.VHID, g.Master))
	}
	return &VMACSplitError{Network: n.Name, VMAC: n.VMAC.String(), Groups: strings.Join(parts, ", ")}
}

// VMACSplitError is CheckVMACMasters' finding, in words an operator can act on.
type VMACSplitError struct {
	Network, VMAC, Groups string
}

func (e *VMACSplitError) Error() string {
	return fmt.Sprintf("network %s binds its VIPs to one virtual MAC %s, but its groups have different masters (%s): both routers would answer from that MAC at once",
		e.Network, e.VMAC, e.Groups)
}

// Fix says what would work instead.
func (e *VMACSplitError) Fix() string {
	return fmt.Sprintf("Give every group of %s the same master, or split it: one virtual MAC per failover IP (OVH can give each its own), each on a NIC of its own, configured as a network of its own with its own vmac", e.Network)
}
