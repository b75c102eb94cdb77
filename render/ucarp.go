package render

import (
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
)

// LinuxOptions are the Linux-side choices (ucarp, carpvm node) that
// carpvm.yaml, written for the FreeBSD routers, does not hold.
type LinuxOptions struct {
	// Interface overrides each network's interface name (Linux names differ
	// from FreeBSD's vmx0), by network name.
	Interface map[string]string
	// ScriptDir holds the rendered vip-up.sh and vip-down.sh (ucarp).
	ScriptDir string
}

// linuxInterface is the router's interface on network i.
func (o LinuxOptions) linuxInterface(i int, n config.Network) (string, error) {
	if ifname := o.Interface[n.Name]; ifname != "" {
		return ifname, nil
	}
	if n.Interface == "" {
		return "", fmt.Errorf("render: networks[%d].interface is not set and no --interface %s=IF given", i, n.Name)
	}
	return n.Interface, nil
}

// Ucarp renders, for router, one ucarp systemd unit per network plus the
// up/down scripts that add and remove the VIP. ucarp manages one VIP per
// process and signs only that VIP, so a network with several VIPs cannot be
// mirrored by ucarp wire-compatibly: that is an error.
func Ucarp(c *config.Config, routerName string, opts LinuxOptions) (Files, error) {
	router, err := findRouter(c, routerName)
	if err != nil {
		return nil, err
	}
	if opts.ScriptDir == "" {
		opts.ScriptDir = "/etc/carpvm"
	}
	files := Files{
		{Path: opts.ScriptDir + "/vip-up.sh", Mode: "0755", Content: "#!/bin/sh\n" + header(router, "ucarp up script") +
			"# ucarp calls it with: interface, VIP, extra parameter (the prefix length).\nexec ip address add \"$2/$3\" dev \"$1\"\n"},
		{Path: opts.ScriptDir + "/vip-down.sh", Mode: "0755", Content: "#!/bin/sh\n" + header(router, "ucarp down script") +
			"exec ip address del \"$2/$3\" dev \"$1\"\n"},
	}
	for i, n := range c.Networks {
		iface, err := opts.linuxInterface(i, n)
		if err != nil {
			return nil, err
		}
		if err := n.CheckVMACMasters(); err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		if n.Protocol != config.ProtocolCARP || n.Mode != config.ModeMulticast {
			return nil, fmt.Errorf("render: networks[%d] is %s %s; ucarp speaks multicast CARP only: render keepalived (VRRPv3) or freebsd for this network", i, n.Mode, n.Protocol)
		}
		if n.PassFile == "" {
			return nil, fmt.Errorf("render: networks[%d].pass_file is not set; ucarp must read the passphrase from a file (--passfile), never from its command line", i)
		}
		for _, g := range n.Groups() {
			if len(g.VIPs) != 1 {
				return nil, fmt.Errorf("render: network %s vhid %d has %d VIPs; ucarp signs and manages exactly one VIP per vhid", n.Name, g.VHID, len(g.VIPs))
			}
			vip := g.VIPs[0]
			if !vip.Addr().Is4() {
				return nil, fmt.Errorf("render: network %s: ucarp supports IPv4 VIPs only, got %s", n.Name, vip)
			}
			src := "<" + router.Name + " address on " + n.Name + ">"
			if a, ok := n.Addresses[router.Name]; ok {
				src = a.Addr().String()
			}
			args := []string{
				"--interface=" + iface,
				"--srcip=" + src,
				fmt.Sprintf("--vhid=%d", g.VHID),
				"--passfile=" + n.PassFile,
				"--addr=" + vip.Addr().String(),
				fmt.Sprintf("--advbase=%d", n.AdvBase),
				fmt.Sprintf("--advskew=%d", c.AdvSkew(router.Name, g)),
				"--preempt",
				"--shutdown",
				"--upscript=" + opts.ScriptDir + "/vip-up.sh",
				"--downscript=" + opts.ScriptDir + "/vip-down.sh",
				fmt.Sprintf("--xparam=%d", vip.Bits()),
			}
			unit := fmt.Sprintf(`%s[Unit]
Description=ucarp vhid %d (%s) on %s
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/sbin/ucarp %s
Restart=on-failure

[Install]
WantedBy=multi-user.target
`, header(router, "systemd unit"), g.VHID, n.Name, iface, strings.Join(args, " \\\n    "))
			files = append(files, File{Path: "/etc/systemd/system/" + ucarpUnitName(n, g), Mode: "0644", Content: unit})
		}
	}
	return files, nil
}

// ucarpUnitName keeps the one-group name ucarp-<network>.service and names
// further groups by their vhid.
func ucarpUnitName(n config.Network, g config.Group) string {
	if len(n.MoreGroups) == 0 {
		return "ucarp-" + n.Name + ".service"
	}
	return fmt.Sprintf("ucarp-%s-vhid%d.service", n.Name, g.VHID)
}
