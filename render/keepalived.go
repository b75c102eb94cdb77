package render

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/keepalived"
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
	conf := keepalived.Conf{
		Header:   []string{headerText(router, "keepalived configuration")},
		RouterID: router.Name,
	}
	for i, n := range c.Networks {
		for _, g := range n.Groups() {
			conf.Instances = append(conf.Instances, keepalivedInstance(c, router, n, g, ifaces[i], ifaces))
		}
	}
	return Files{{Path: KeepalivedConfigPath, Mode: "0644", Content: conf.String()}}, nil
}

func keepalivedInstance(c *config.Config, router config.Router, n config.Network, g config.Group, iface string, all []string) keepalived.Instance {
	in := keepalived.Instance{
		Comments: []string{
			fmt.Sprintf("%s (portgroup %s), vrid %d: %s", n.Name, n.Portgroup, g.VHID, masterWords(router, g)),
			"VRRPv3 has no authentication: anyone on this segment can take the group.",
		},
		Name:      fmt.Sprintf("%s_%d", n.Name, g.VHID),
		Interface: iface,
		VRID:      g.VHID,
		Priority:  c.VRRPPriority(router.Name, g),
		AdvertInt: centisecondsWords(n.VRRPInterval),
	}
	if n.VMAC != nil {
		in.Notes = []string{fmt.Sprintf("The NIC carries the OVH virtual MAC %s: the VIPs answer from it, not from a VRRP MAC.", n.VMAC)}
	} else {
		in.UseVMAC = true
		// As FreeBSD does: unicast adverts leave from the NIC's own MAC.
		in.VMACXmitBase = n.Mode == config.ModeUnicast
	}
	if peer, ok := c.Peer(n, router.Name); ok {
		if own, ok := n.Addresses[router.Name]; ok {
			in.UnicastSrc = own.Addr().String()
		}
		in.UnicastPeers = []string{peer.String()}
		// Unicast adverts do not come from the virtual MAC: refresh the
		// switches' tables with gratuitous ARPs from the master.
		in.GARPMasterRefresh = int(carp.UnicastGARPRefresh / time.Second)
	}
	for _, vip := range g.VIPs {
		in.VIPs = append(in.VIPs, vip.String())
	}
	// keepalived always tracks the instance's own interface (down: FAULT,
	// the peer takes the group); the others demote it, so that one link
	// down hands over every group of the router.
	for _, ifname := range all {
		if ifname != iface && !slices.ContainsFunc(in.Track, func(t keepalived.Track) bool { return t.Interface == ifname }) {
			in.Track = append(in.Track, keepalived.Track{Interface: ifname, Weight: -carp.DemotionFactor})
		}
	}
	return in
}

// centisecondsWords is an interval in centiseconds as keepalived's
// advert_int, in seconds: 100 is "1", 50 "0.5", 125 "1.25".
func centisecondsWords(cs int) string {
	return strconv.FormatFloat(float64(cs)/100, 'f', -1, 64)
}
