package node

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// InterfaceSourceAddr returns iface's first IPv4 address that is not one of
// the VIPs: the source address of adverts, as FreeBSD and ucarp use the
// interface's own address.
func InterfaceSourceAddr(iface string, vips []netip.Addr) (netip.Addr, error) {
	ip, found, err := firstOwnAddr(iface, vips, netip.Addr.Is4)
	if err == nil && !found {
		err = fmt.Errorf("node: interface %s has no IPv4 address of its own to send adverts from; configure one", iface)
	}
	return ip, err
}

// InterfaceLinkLocal returns iface's first IPv6 link-local address that is
// not one of the VIPs (a link-local VIP such as fe80::1 may be left on the
// interface by a crashed --no-vmac run): the source of IPv6 adverts, as
// FreeBSD sends them. An interface without one (IPv6 disabled, or address
// generation off) is an error.
func InterfaceLinkLocal(iface string, vips []netip.Addr) (netip.Addr, error) {
	linkLocal6 := func(ip netip.Addr) bool { return ip.Is6() && ip.IsLinkLocalUnicast() }
	ip, found, err := firstOwnAddr(iface, vips, linkLocal6)
	if err == nil && !found {
		err = fmt.Errorf("node: interface %s has no IPv6 link-local address to send IPv6 adverts from; enable IPv6 on it (net.ipv6.conf.%s.disable_ipv6=0, addr_gen_mode not none)", iface, iface)
	}
	return ip, err
}

// firstOwnAddr returns iface's first address (IPv4-mapped ones unmapped)
// that want accepts and that is not one of the VIPs.
func firstOwnAddr(iface string, vips []netip.Addr, want func(netip.Addr) bool) (netip.Addr, bool, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("node: interface %q: %w", iface, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("node: addresses of %s: %w", iface, err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		if ip = ip.Unmap(); want(ip) && !slices.Contains(vips, ip) {
			return ip, true, nil
		}
	}
	return netip.Addr{}, false, nil
}

// ipv6Forwarding reads net.ipv6.conf.<iface>.forwarding; unreadable counts
// as not forwarding.
func ipv6Forwarding(iface string) bool {
	b, err := os.ReadFile(filepath.Join("/proc/sys/net/ipv6/conf", iface, "forwarding"))
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

func defaultVIPs(g Group, log *slog.Logger) VIPHolder {
	return &NetlinkVIPs{Parent: g.Interface, VHID: g.VHID, MAC: g.VirtualMAC(), VIPs: g.VIPs, VMAC: g.VMAC, Log: log}
}
