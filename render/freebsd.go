package render

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/carpvm/carpvm/config"
)

// MaxPassphrase is the longest passphrase FreeBSD's and OpenBSD's ifconfig
// keep whole: the kernel key is 20 bytes with a terminating NUL, longer ones
// are silently truncated (and ucarp refuses them).
const MaxPassphrase = 19

// CheckIfconfigPassphrase reports why pass cannot be used as an ifconfig
// carp "pass" inside a double-quoted rc.conf value.
func CheckIfconfigPassphrase(pass string) error {
	if pass == "" {
		return fmt.Errorf("passphrase is empty")
	}
	if len(pass) > MaxPassphrase {
		return fmt.Errorf("passphrase is %d bytes; ifconfig keeps at most %d and would silently truncate it", len(pass), MaxPassphrase)
	}
	for _, r := range pass {
		switch {
		case r <= ' ' || r == 0x7f:
			return fmt.Errorf("passphrase contains whitespace or a control character; ifconfig takes one word")
		case strings.ContainsRune("\"'\\$`", r):
			return fmt.Errorf("passphrase contains a quote, backslash, $ or backtick, which rc.conf's shell quoting would alter")
		case r > 0x7e:
			return fmt.Errorf("passphrase contains a non-ASCII character")
		}
	}
	return nil
}

// FreeBSD renders /boot/loader.conf, /etc/sysctl.conf and /etc/rc.conf lines
// for router: one "inet vhid N advbase B advskew K pass P alias VIP/32"
// alias per IPv4 VIP and one "inet6 vhid N advbase B advskew K pass P
// alias VIP/128" per IPv6 VIP on the network's interface, numbered per
// interface. A vhid with both families is one CARP group on FreeBSD: it
// advertises to 224.0.0.18 and ff02::12 and signs every VIP of both.
func FreeBSD(c *config.Config, routerName string, secrets Secrets) (Files, error) {
	router, err := findRouter(c, routerName)
	if err != nil {
		return nil, err
	}
	var rc strings.Builder
	rc.WriteString(header(router, "/etc/rc.conf lines"))
	aliases := map[string]int{} // next alias number per interface
	for i, n := range c.Networks {
		if n.Interface == "" {
			return nil, fmt.Errorf("render: networks[%d].interface is not set; want the router's interface on %s (e.g. vmx0)", i, n.Portgroup)
		}
		pass, real := secrets.passOrPlaceholder(n)
		if real && n.Protocol != config.ProtocolVRRP3 {
			if err := CheckIfconfigPassphrase(pass); err != nil {
				return nil, fmt.Errorf("render: network %s: %w", n.Name, err)
			}
		}
		if err := n.CheckVMACMasters(); err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		fmt.Fprintf(&rc, "\n# %s on %s (portgroup %s)\n", n.Name, n.Interface, n.Portgroup)
		if n.VMAC != nil {
			fmt.Fprintf(&rc, "# %s's MAC must be %s: set it as the NIC's manual MAC in vSphere (carpvm preflight --fix --set-vmac).\n", n.Interface, n.VMAC)
		}
		if addr, ok := n.Addresses[router.Name]; ok {
			fmt.Fprintf(&rc, "ifconfig_%s=\"inet %s\"\n", n.Interface, addr)
		}
		for _, g := range n.Groups() {
			fmt.Fprintf(&rc, "# vhid %d: %s, %s\n", g.VHID, freebsdRank(c, router, n, g), masterWords(router, g))
			for _, vip := range g.VIPs {
				family := "inet"
				if vip.Addr().Is6() {
					if vip.Addr().Is4In6() || vip.Addr().Zone() != "" {
						return nil, fmt.Errorf("render: network %s: VIP %s: want an IPv4 address or an IPv6 one without a zone", n.Name, vip)
					}
					family = "inet6"
				}
				alias := aliases[n.Interface]
				aliases[n.Interface]++
				fmt.Fprintf(&rc, "ifconfig_%s_alias%d=\"%s vhid %d %s%s alias %s\"\n",
					n.Interface, alias, family, g.VHID, freebsdTimers(c, router, n, g, pass), freebsdPeer(c, router, n, family), hostPrefix(vip))
			}
		}
	}
	return Files{
		{Path: "/boot/loader.conf", Mode: "0644", Content: header(router, "/boot/loader.conf lines") + "carp_load=\"YES\"\n"},
		{Path: "/etc/sysctl.conf", Mode: "0644", Content: header(router, "/etc/sysctl.conf lines") +
			"# Take a group back when this router has the lower advskew, and fail over as a\n" +
			"# whole router: with preempt on, a CARP interface going down or a send error\n" +
			"# demotes every group (net.inet.carp.ifdown_demotion_factor and\n" +
			"# senderr_demotion_factor, 240 by default), so the peer takes them all.\n" +
			"net.inet.carp.preempt=1\n"},
		{Path: "/etc/rc.conf", Mode: "0644", Content: rc.String()},
	}, nil
}

// freebsdTimers are the ifconfig words of a group's protocol and timers:
// CARP's advbase, advskew and pass, or FreeBSD 15's VRRPv3 (carpver 3,
// vrrpprio, vrrpinterval in centiseconds; no pass: VRRPv3 has none).
func freebsdTimers(c *config.Config, router config.Router, n config.Network, g config.Group, pass string) string {
	if n.Protocol == config.ProtocolVRRP3 {
		return fmt.Sprintf("carpver 3 vrrpprio %d vrrpinterval %d", c.VRRPPriority(router.Name, g), n.VRRPInterval)
	}
	return fmt.Sprintf("advbase %d advskew %d pass %s", n.AdvBase, c.AdvSkew(router.Name, g), pass)
}

// freebsdRank says how the group ranks this router, in its protocol's terms.
func freebsdRank(c *config.Config, router config.Router, n config.Network, g config.Group) string {
	if n.Protocol == config.ProtocolVRRP3 {
		return fmt.Sprintf("VRRPv3 priority %d (no authentication)", c.VRRPPriority(router.Name, g))
	}
	return fmt.Sprintf("advskew %d", c.AdvSkew(router.Name, g))
}

// freebsdPeer is FreeBSD 14's unicast CARP: " peer ADDR" (IPv4) or
// " peer6 ADDR", the other router's address; empty for multicast.
func freebsdPeer(c *config.Config, router config.Router, n config.Network, family string) string {
	peer, ok := c.Peer(n, router.Name)
	if !ok {
		return ""
	}
	if family == "inet6" {
		return " peer6 " + peer.String()
	}
	return " peer " + peer.String()
}

// hostPrefix is the VIP as a host route: FreeBSD's handbook configures CARP
// aliases as /32 so that they do not clash with the interface's own subnet;
// IPv6 ones likewise as /128 (ifconfig takes "inet6 ... alias ADDR/128" as
// "ADDR prefixlen 128"), the interface's own address holding the /64.
func hostPrefix(p netip.Prefix) netip.Prefix {
	return netip.PrefixFrom(p.Addr(), p.Addr().BitLen())
}
