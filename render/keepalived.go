package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/config"
)

// KeepalivedConfigPath is where the rendered keepalived.conf goes.
const KeepalivedConfigPath = "/etc/keepalived/keepalived.conf"

// Keepalived renders a keepalived.conf for router, a Linux router whose
// peer is a FreeBSD 15 router (carp(4) with carpver 3) or another VRRPv3
// speaker: one vrrp_instance per group, VRRPv3 with the RFC checksum, the
// priority and interval the FreeBSD side gets from `render freebsd`, the
// virtual MAC (use_vmac, as FreeBSD answers from 00:00:5e:00:01:<vrid>)
// unless the network's NIC carries an OVH virtual MAC, unicast peers for a
// unicast network, and every CARP interface tracked with FreeBSD's ifdown
// demotion (carp.DemotionFactor) so that the router hands over every group when one link fails.
// Only VRRPv3 networks can be rendered: keepalived does not speak CARP.
func Keepalived(c *config.Config, routerName string, opts LinuxOptions) (Files, error) {
	router, err := findRouter(c, routerName)
	if err != nil {
		return nil, err
	}
	ifaces := make([]string, len(c.Networks))
	for i, n := range c.Networks {
		if n.Protocol != config.ProtocolVRRP3 {
			return nil, fmt.Errorf("render: networks[%d] (%s) speaks %s; keepalived speaks VRRP, not CARP: set protocol: vrrp3 on both routers (FreeBSD 15 carpver 3)", i, n.Name, n.Protocol)
		}
		if ifaces[i], err = opts.linuxInterface(i, n); err != nil {
			return nil, err
		}
		if err := n.CheckVMACMasters(); err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
	}
	var b strings.Builder
	b.WriteString(header(router, "keepalived configuration"))
	fmt.Fprintf(&b, "global_defs {\n    router_id %s\n    vrrp_version 3\n}\n", router.Name)
	for i, n := range c.Networks {
		for _, g := range n.Groups() {
			b.WriteString("\n")
			keepalivedInstance(&b, c, router, n, g, ifaces[i], ifaces)
		}
	}
	return Files{{Path: KeepalivedConfigPath, Mode: "0644", Content: b.String()}}, nil
}

func keepalivedInstance(b *strings.Builder, c *config.Config, router config.Router, n config.Network, g config.Group, iface string, all []string) {
	fmt.Fprintf(b, "# %s (portgroup %s), vrid %d: %s\n", n.Name, n.Portgroup, g.VHID, masterWords(router, g))
	b.WriteString("# VRRPv3 has no authentication: anyone on this segment can take the group.\n")
	fmt.Fprintf(b, "vrrp_instance %s_%d {\n", n.Name, g.VHID)
	// BACKUP for both: the priorities decide, and a router that restarts
	// does not claim its groups before it has heard its peer.
	b.WriteString("    state BACKUP\n")
	fmt.Fprintf(b, "    interface %s\n    virtual_router_id %d\n    priority %d\n    advert_int %s\n",
		iface, g.VHID, c.VRRPPriority(router.Name, g), centisecondsWords(n.VRRPInterval))
	if n.VMAC != nil {
		fmt.Fprintf(b, "    # The NIC carries the OVH virtual MAC %s: the VIPs answer from it, not from a VRRP MAC.\n", n.VMAC)
	} else {
		b.WriteString("    use_vmac\n")
		if n.Mode == config.ModeUnicast {
			// As FreeBSD does: unicast adverts leave from the NIC's own MAC.
			b.WriteString("    vmac_xmit_base\n")
		}
	}
	if peer, ok := c.Peer(n, router.Name); ok {
		if own, ok := n.Addresses[router.Name]; ok {
			fmt.Fprintf(b, "    unicast_src_ip %s\n", own.Addr())
		}
		fmt.Fprintf(b, "    unicast_peer {\n        %s\n    }\n", peer)
		// Unicast adverts do not come from the virtual MAC: refresh the
		// switches' tables with gratuitous ARPs from the master.
		b.WriteString("    garp_master_refresh 10\n")
	}
	b.WriteString("    virtual_ipaddress {\n")
	for _, vip := range g.VIPs {
		fmt.Fprintf(b, "        %s dev %s\n", vip, iface)
	}
	b.WriteString("    }\n")
	// keepalived always tracks the instance's own interface (down: FAULT,
	// the peer takes the group); the others demote it, so that one link
	// down hands over every group of the router.
	var others []string
	for _, ifname := range all {
		if ifname != iface && !slices.Contains(others, ifname) {
			others = append(others, ifname)
		}
	}
	if len(others) > 0 {
		b.WriteString("    track_interface {\n")
		for _, ifname := range others {
			fmt.Fprintf(b, "        %s weight -%d\n", ifname, carp.DemotionFactor)
		}
		b.WriteString("    }\n")
	}
	b.WriteString("}\n")
}

// centisecondsWords is an interval in centiseconds as keepalived's
// advert_int, in seconds: 100 is "1", 50 "0.5", 125 "1.25".
func centisecondsWords(cs int) string {
	return strconv.FormatFloat(float64(cs)/100, 'f', -1, 64)
}
