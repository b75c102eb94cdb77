package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ParseVIP parses a VIP, the one parser of carpvm.yaml, node.yaml and the
// flags: CIDR form (172.27.27.14/28), or a bare address taken as a host
// route (/32 or /128). IPv4 and IPv6 VIPs are accepted; an IPv6 link-local
// VIP (fe80::1/64, a usual default gateway) too, but without a %zone: the
// group's interface is its zone. IPv4-mapped IPv6 addresses, multicast,
// loopback and unspecified addresses are refused.
func ParseVIP(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	addr, _, hasLen := strings.Cut(s, "/")
	if strings.Contains(addr, "%") {
		return netip.Prefix{}, fmt.Errorf("%q: an IPv6 zone (%%...) is not allowed; the group's interface is the VIP's zone", s)
	}
	var p netip.Prefix
	if hasLen {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix (want e.g. 172.27.27.14/28)", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix (want e.g. 172.27.27.14/28)", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	a := p.Addr()
	switch {
	case a.Is4In6():
		return netip.Prefix{}, fmt.Errorf("%q: an IPv4-mapped IPv6 address; write it as IPv4 (%s)", s, a.Unmap())
	case !a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLinkLocalUnicast():
		return netip.Prefix{}, fmt.Errorf("%q is not a unicast address", s)
	}
	return p, nil
}

// ParseUnicastMAC parses a 48-bit unicast MAC address.
func ParseUnicastMAC(s string) (net.HardwareAddr, error) {
	mac, err := net.ParseMAC(s)
	if err != nil || len(mac) != 6 {
		return nil, fmt.Errorf("%q is not a 48-bit MAC address (want e.g. 02:00:00:aa:bb:cc)", s)
	}
	if mac[0]&1 == 1 {
		return nil, fmt.Errorf("%q is a multicast MAC address; want a unicast one", s)
	}
	return mac, nil
}

func intIn(raw any, lo, hi int) (int, error) {
	if raw == nil {
		return 0, fmt.Errorf("missing; want an integer in %d..%d", lo, hi)
	}
	n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(raw)))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%v is out of range; want an integer in %d..%d", raw, lo, hi)
	}
	return n, nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
