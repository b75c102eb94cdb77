package render

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
)

// NodeConfigPath is where the rendered node.yaml goes.
const NodeConfigPath = "/etc/carpvm/node.yaml"

// nodeUnit is the node's systemd unit, as shipped in
// docs/deploy/carpvm-node.service (a test keeps the two equal): restarted
// whatever way it ends, cleaned up after, hardened.
//
//go:embed carpvm-node.service
var nodeUnit string

// Node renders router's carpvm node configuration (carp/node's node.yaml)
// and its systemd unit. A network with an OVH virtual MAC runs with
// no_vmac: the NIC itself carries that MAC (set in vSphere), and the
// failover IP must answer from it, not from CARP's 00:00:5e:00:01:<vhid>.
func Node(c *config.Config, routerName string, opts LinuxOptions) (Files, error) {
	router, err := findRouter(c, routerName)
	if err != nil {
		return nil, err
	}
	var y strings.Builder
	y.WriteString(header(router, "carpvm node configuration"))
	fmt.Fprintf(&y, "name: %s\ncontrol_socket: /run/carpvm/node.sock\nmetrics_listen: 127.0.0.1:9380\n", router.Name)
	y.WriteString("# Whole-router failover: a link down on any group's interface demotes every\n# group, so that the peer takes them all (FreeBSD's default).\nlink_tracking: true\ngroups:\n")
	for i, n := range c.Networks {
		iface, err := opts.linuxInterface(i, n)
		if err != nil {
			return nil, err
		}
		if n.Protocol != config.ProtocolCARP || n.Mode != config.ModeMulticast {
			return nil, fmt.Errorf("render: networks[%d] is %s %s; carpvm node speaks multicast CARP only so far (VRRPv3 and unicast in the node are not finished): render freebsd or keepalived for this network", i, n.Mode, n.Protocol)
		}
		if n.PassFile == "" {
			return nil, fmt.Errorf("render: networks[%d].pass_file is not set; carpvm node reads the passphrase from a file", i)
		}
		if err := n.CheckVMACMasters(); err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		for _, g := range n.Groups() {
			vips := make([]string, len(g.VIPs))
			for j, v := range g.VIPs {
				vips[j] = v.String()
			}
			fmt.Fprintf(&y, "  # %s (portgroup %s), vhid %d: %s\n", n.Name, n.Portgroup, g.VHID, masterWords(router, g))
			fmt.Fprintf(&y, "  - interface: %s\n    vhid: %d\n    vips: [%s]\n    advbase: %d\n    advskew: %d\n    preempt: true\n    preferred: %s\n    network: %s\n    pass_file: %s\n",
				iface, g.VHID, strings.Join(vips, ", "), n.AdvBase, c.AdvSkew(router.Name, g), g.Master, n.Name, n.PassFile)
			if n.VMAC != nil {
				fmt.Fprintf(&y, "    # The NIC carries the OVH virtual MAC %s: the VIP answers from it.\n    no_vmac: true\n", n.VMAC)
			}
		}
	}
	unit := header(router, "systemd unit") + nodeUnit
	return Files{
		{Path: NodeConfigPath, Mode: "0644", Content: y.String()},
		{Path: "/etc/systemd/system/carpvm-node.service", Mode: "0644", Content: unit},
	}, nil
}
