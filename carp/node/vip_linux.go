package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/carpvm/carpvm/carp"
)

// MacvlanName is the name of the interface that holds vhid's VIPs on
// parent in virtual-MAC mode: "carp<vhid>-<parent>", cut to 15 bytes.
func MacvlanName(vhid uint8, parent string) string {
	n := fmt.Sprintf("carp%d-%s", vhid, parent)
	if len(n) > 15 {
		n = n[:15]
	}
	return n
}

// NetlinkVIPs holds VIPs with netlink. In virtual-MAC mode (the default) a
// macvlan interface with MAC 00:00:5e:00:01:<vhid> exists only while
// MASTER and carries the VIPs, so that they resolve to the virtual MAC and
// the switch learns it on the master's port; the parent is set to answer
// ARP only for its own addresses (arp_ignore=1, arp_announce=2), or it
// would answer for the VIP with its own MAC; and traffic from a VIP to its
// connected prefix leaves through the macvlan, from the virtual MAC, by
// source policy routing (see RulePriority and RouteTable). In parent mode
// (--no-vmac, ucarp's way) the VIPs go on the parent interface itself.
type NetlinkVIPs struct {
	Parent string
	VHID   uint8
	// MAC is the virtual MAC (Group.VirtualMAC); nil means CARP's
	// 00:00:5e:00:01:<vhid>.
	MAC  net.HardwareAddr
	VIPs []netip.Prefix
	VMAC bool
	Log  *slog.Logger
	// NL is the netlink handle; nil means a socket per request in the
	// calling thread's namespace.
	NL *netlink.Handle
	// Sysctl writes a sysctl (dotted key); nil writes /proc/sys.
	Sysctl func(key, value string) error

	// table is the routing table of the last Claim in virtual-MAC mode
	// (RouteTable), whose rules Release removes even if the parent is gone.
	table int
}

func (h *NetlinkVIPs) virtualMAC() net.HardwareAddr {
	if h.MAC != nil {
		return h.MAC
	}
	return carp.VirtualMAC(h.VHID)
}

func (h *NetlinkVIPs) nl() *netlink.Handle {
	if h.NL != nil {
		return h.NL
	}
	return &netlink.Handle{}
}

func (h *NetlinkVIPs) sysctl(key, value string) error {
	if h.Sysctl != nil {
		return h.Sysctl(key, value)
	}
	return writeSysctl(key, value)
}

func writeSysctl(key, value string) error {
	path := filepath.Join("/proc/sys", filepath.FromSlash(dotsToSlashes(key)))
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("node: sysctl %s=%s: %w", key, value, err)
	}
	return nil
}

// dotsToSlashes turns "net.ipv4.conf.eth0.arp_ignore" into a path; an
// interface name with a dot ("eth0.100") is written with a slash in sysctl
// syntax, so the caller passes it as "eth0/100" and it is turned back.
func dotsToSlashes(key string) string {
	b := []byte(key)
	for i, c := range b {
		switch c {
		case '.':
			b[i] = '/'
		case '/':
			b[i] = '.'
		}
	}
	return string(b)
}

// sysctlIf is an interface name in sysctl key syntax.
func sysctlIf(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c == '.' {
			b[i] = '/'
		}
	}
	return string(b)
}

// MacvlanName is the name of the macvlan this holder uses.
func (h *NetlinkVIPs) MacvlanName() string { return MacvlanName(h.VHID, h.Parent) }

// GARPSource implements VIPHolder.
func (h *NetlinkVIPs) GARPSource() net.HardwareAddr {
	if h.VMAC {
		return h.virtualMAC()
	}
	if ifi, err := net.InterfaceByName(h.Parent); err == nil {
		return ifi.HardwareAddr
	}
	return nil
}

// Prepare implements VIPHolder: it removes what a previous run left
// (RemoveLeftovers), and in virtual-MAC mode sets the parent's ARP
// sysctls.
func (h *NetlinkVIPs) Prepare() error {
	if err := h.RemoveLeftovers(); err != nil {
		return err
	}
	if h.VMAC {
		pif := sysctlIf(h.Parent)
		if err := h.sysctl("net.ipv4.conf."+pif+".arp_ignore", "1"); err != nil {
			return err
		}
		if err := h.sysctl("net.ipv4.conf."+pif+".arp_announce", "2"); err != nil {
			return err
		}
	}
	return nil
}

// RemoveLeftovers removes what a dead run of the group left: its macvlan
// (which would go on answering ARP for the VIPs with the virtual MAC), its
// source rules, and the VIPs on the parent (--no-vmac).
func (h *NetlinkVIPs) RemoveLeftovers() error {
	parent, err := h.nl().LinkByName(h.Parent)
	if err != nil {
		return fmt.Errorf("node: interface %q: %w", h.Parent, err)
	}
	if err := h.deleteMacvlan(); err != nil {
		return err
	}
	// A rule can be stale in parent mode too (a crashed run in virtual-MAC
	// mode); a parent whose index has no table id never had rules.
	if table, err := h.routeTable(parent); err == nil {
		if err := h.removeRules(table, true); err != nil {
			return err
		}
	} else if h.VMAC {
		return err
	}
	return h.removeFromParent(parent, true)
}

// Claim implements VIPHolder.
func (h *NetlinkVIPs) Claim() error {
	parent, err := h.nl().LinkByName(h.Parent)
	if err != nil {
		return fmt.Errorf("node: interface %q: %w", h.Parent, err)
	}
	if !h.VMAC {
		return h.addAddrs(parent, parent)
	}
	if err := h.deleteMacvlan(); err != nil {
		return err
	}
	name := h.MacvlanName()
	mv := &netlink.Macvlan{
		LinkAttrs: netlink.LinkAttrs{
			Name:         name,
			ParentIndex:  parent.Attrs().Index,
			HardwareAddr: h.virtualMAC(),
		},
		// Bridge mode: frames between this macvlan and others on the same
		// parent (other VHIDs) are switched locally; frames from the wire
		// reach it by destination MAC in every mode.
		Mode: netlink.MACVLAN_MODE_BRIDGE,
	}
	if err := h.nl().LinkAdd(mv); err != nil {
		return fmt.Errorf("node: create macvlan %s on %s: %w", name, h.Parent, err)
	}
	link, err := h.nl().LinkByName(name)
	if err != nil {
		return fmt.Errorf("node: macvlan %s: %w", name, err)
	}
	// No IPv6 link-local address on the macvlan (and so no DAD for one, nor
	// a second link-local source next to the parent's): IPv6 adverts come
	// from the parent's link-local address, as FreeBSD's, and IPv6 VIPs
	// are added without DAD (addAddrs). Hosts without IPv6 refuse the
	// setting; that only matters when there are IPv6 VIPs.
	if err := h.nl().LinkSetIP6AddrGenMode(link, 1 /* IN6_ADDR_GEN_MODE_NONE */); err != nil {
		if h.hasIPv6() {
			return fmt.Errorf("node: macvlan %s: IPv6 address generation mode none (IPv6 VIPs need IPv6 on the host): %w", name, err)
		}
		h.logger().Debug("macvlan without IPv6 address generation mode", "iface", name, "err", err)
	}
	// Loose reverse-path filtering: clients' replies reach the VIP on the
	// macvlan while the route back to them goes through the parent.
	if err := h.sysctl("net.ipv4.conf."+sysctlIf(name)+".rp_filter", "2"); err != nil {
		h.logger().Debug("macvlan rp_filter", "iface", name, "err", err)
	}
	if err := h.addAddrs(parent, link); err != nil {
		return err
	}
	if err := h.nl().LinkSetUp(link); err != nil {
		return fmt.Errorf("node: set %s up: %w", name, err)
	}
	// Routes need the link up; the rules come last, when the table they
	// lead to is full.
	table, err := h.routeTable(parent)
	if err == nil {
		h.table = table
		err = h.addSourceRouting(table, link)
	}
	if err != nil {
		return fmt.Errorf("node: VIPs are up on %s, but replies from them leave with %s's MAC: %w", name, h.Parent, err)
	}
	return nil
}

// Release implements VIPHolder.
func (h *NetlinkVIPs) Release() error {
	if h.VMAC {
		// The rules first, so that none leads to an empty table; the
		// table's routes go with the macvlan.
		table := h.table
		if table == 0 {
			if parent, err := h.nl().LinkByName(h.Parent); err == nil {
				table, _ = h.routeTable(parent)
			}
		}
		var rerr error
		if table != 0 {
			rerr = h.removeRules(table, false)
		}
		return errors.Join(rerr, h.deleteMacvlan())
	}
	parent, err := h.nl().LinkByName(h.Parent)
	if err != nil {
		return fmt.Errorf("node: interface %q: %w", h.Parent, err)
	}
	return h.removeFromParent(parent, false)
}

// addAddrs adds every VIP to link. When the parent already has an address
// of the same family in a VIP's prefix, the VIP is added without a prefix
// route, so that the routing table stays as it was. IPv6 VIPs are added
// without duplicate address detection (IFA_F_NODAD): the address is
// usable at once (a tentative one would neither answer nor be a source),
// and the backup that might hold it has just released it; DAD probes
// would only delay the takeover, and the macvlan sends none of its own
// (no link-local address, see Claim).
func (h *NetlinkVIPs) addAddrs(parent, link netlink.Link) error {
	own, err := h.nl().AddrList(parent, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("node: addresses of %s: %w", h.Parent, err)
	}
	for _, vip := range h.VIPs {
		a := &netlink.Addr{IPNet: prefixToIPNet(vip)}
		if vip.Addr().Is6() {
			a.Flags |= unix.IFA_F_NODAD
		}
		for _, o := range own {
			oa, ok := netip.AddrFromSlice(o.IP)
			if !ok {
				continue
			}
			if vip.Addr().Is4() {
				oa = oa.Unmap()
			}
			if oa != vip.Addr() && oa.Is4() == vip.Addr().Is4() && vip.Masked().Contains(oa) && vip.Bits() < vip.Addr().BitLen() {
				a.Flags |= unix.IFA_F_NOPREFIXROUTE
			}
		}
		if err := h.nl().AddrReplace(link, a); err != nil {
			return fmt.Errorf("node: add VIP %s to %s: %w", vip, link.Attrs().Name, err)
		}
	}
	return nil
}

// removeFromParent removes the VIPs (both families) from the parent; stale
// says it is the clean-up at start, which logs what it found.
func (h *NetlinkVIPs) removeFromParent(parent netlink.Link, stale bool) error {
	addrs, err := h.nl().AddrList(parent, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("node: addresses of %s: %w", h.Parent, err)
	}
	var errs []error
	for _, a := range addrs {
		aa, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		if aa.Is4In6() {
			aa = aa.Unmap()
		}
		if !h.isVIP(aa) {
			continue
		}
		if stale {
			h.logger().Warn("removing a VIP left on the interface (this node is not MASTER yet)", "vhid", h.VHID, "iface", h.Parent, "vip", aa)
		}
		if err := h.nl().AddrDel(parent, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			errs = append(errs, fmt.Errorf("node: remove VIP %s from %s: %w", aa, h.Parent, err))
		}
	}
	return errors.Join(errs...)
}

// hasIPv6 reports whether a VIP is IPv6.
func (h *NetlinkVIPs) hasIPv6() bool {
	for _, v := range h.VIPs {
		if v.Addr().Is6() {
			return true
		}
	}
	return false
}

func (h *NetlinkVIPs) isVIP(a netip.Addr) bool {
	for _, v := range h.VIPs {
		if v.Addr() == a {
			return true
		}
	}
	return false
}

// deleteMacvlan removes the macvlan if it exists; it refuses to remove an
// interface of that name that is not a macvlan with the virtual MAC.
func (h *NetlinkVIPs) deleteMacvlan() error {
	name := h.MacvlanName()
	link, err := h.nl().LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("node: look up %s: %w", name, err)
	}
	if link.Type() != "macvlan" || link.Attrs().HardwareAddr.String() != h.virtualMAC().String() {
		return fmt.Errorf("node: interface %s exists and is not carpvm's macvlan (type %s, MAC %s); rename it or use --no-vmac",
			name, link.Type(), link.Attrs().HardwareAddr)
	}
	if err := h.nl().LinkDel(link); err != nil {
		return fmt.Errorf("node: delete macvlan %s: %w", name, err)
	}
	return nil
}

func (h *NetlinkVIPs) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.New(slog.DiscardHandler)
}

func prefixToIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
