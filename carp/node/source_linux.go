package node

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
)

// InterfaceSourceAddr returns iface's first IPv4 address that is not one of
// the VIPs: the source address of adverts, as FreeBSD and ucarp use the
// interface's own address.
func InterfaceSourceAddr(iface string, vips []netip.Addr) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("node: interface %q: %w", iface, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("node: addresses of %s: %w", iface, err)
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
		ip = ip.Unmap()
		if ip.Is4() && !slices.Contains(vips, ip) {
			return ip, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("node: interface %s has no IPv4 address of its own to send adverts from; configure one", iface)
}

func defaultVIPs(g Group, log *slog.Logger) VIPHolder {
	return &NetlinkVIPs{Parent: g.Interface, VHID: g.VHID, VIPs: g.VIPs, VMAC: g.VMAC, Log: log}
}
