//go:build linux

package netns

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// maxIfName is the longest interface name Linux accepts (IFNAMSIZ - 1).
const maxIfName = 15

// Bridge is a Linux bridge (a learning switch) inside a namespace.
type Bridge struct {
	NS   *Namespace
	Name string
}

// Port is one end of a veth pair inside a namespace whose other end is a
// port of a bridge.
type Port struct {
	NS *Namespace
	// IfName is the interface inside NS.
	IfName string
	// MAC is IfName's hardware address.
	MAC net.HardwareAddr
	// BridgePort is the peer's name inside the bridge's namespace, the
	// name `bridge fdb show` prints for frames learnt on this port.
	BridgePort string
	Bridge     *Bridge
}

// Bridge creates a bridge named name inside ns, up, with STP off (ports
// forward at once) and multicast snooping off (every multicast is flooded,
// as a vSwitch does).
func (w *World) Bridge(ctx context.Context, ns *Namespace, name string) (*Bridge, error) {
	if err := checkIfName(name); err != nil {
		return nil, err
	}
	if _, err := ns.Run(ctx, "ip", "link", "add", name, "type", "bridge",
		"stp_state", "0", "mcast_snooping", "0", "forward_delay", "0"); err != nil {
		return nil, err
	}
	if _, err := ns.Run(ctx, "ip", "link", "set", name, "up"); err != nil {
		return nil, err
	}
	return &Bridge{NS: ns, Name: name}, nil
}

// Attach connects ns to br with a veth pair: ifname inside ns (up, with the
// given addresses), its peer a bridge port named "p<n>-<ns>" (at most 15
// bytes) inside the bridge's namespace.
func (w *World) Attach(ctx context.Context, br *Bridge, ns *Namespace, ifname string, addrs ...netip.Prefix) (*Port, error) {
	if err := checkIfName(ifname); err != nil {
		return nil, err
	}
	peer := fmt.Sprintf("p%d-%s", w.nextPort(), ns.Short)
	if len(peer) > maxIfName {
		peer = peer[:maxIfName]
	}
	if err := w.Veth(ctx, ns, ifname, br.NS, peer); err != nil {
		return nil, err
	}
	if _, err := br.NS.Run(ctx, "ip", "link", "set", peer, "master", br.Name, "up"); err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if _, err := ns.Run(ctx, "ip", "addr", "add", a.String(), "dev", ifname); err != nil {
			return nil, err
		}
	}
	if _, err := ns.Run(ctx, "ip", "link", "set", ifname, "up"); err != nil {
		return nil, err
	}
	mac, err := ns.MAC(ctx, ifname)
	if err != nil {
		return nil, err
	}
	return &Port{NS: ns, IfName: ifname, MAC: mac, BridgePort: peer, Bridge: br}, nil
}

// Veth creates a veth pair with end aName in a and end bName in b, both
// down and without addresses.
func (w *World) Veth(ctx context.Context, a *Namespace, aName string, b *Namespace, bName string) error {
	if err := checkIfName(aName); err != nil {
		return err
	}
	if err := checkIfName(bName); err != nil {
		return err
	}
	_, err := Run(ctx, "ip", "link", "add", aName, "netns", a.Name,
		"type", "veth", "peer", "name", bName, "netns", b.Name)
	return err
}

// MAC returns the hardware address of ifname inside n.
func (n *Namespace) MAC(ctx context.Context, ifname string) (net.HardwareAddr, error) {
	out, err := n.Run(ctx, "cat", "/sys/class/net/"+ifname+"/address")
	if err != nil {
		return nil, err
	}
	mac, err := net.ParseMAC(strings.TrimSpace(out))
	if err != nil {
		return nil, fmt.Errorf("netns: %s address %q: %w", ifname, out, err)
	}
	return mac, nil
}

// FDB returns the bridge's learnt (dynamic) forwarding entries as MAC ->
// bridge port name.
func (br *Bridge) FDB(ctx context.Context) (map[string]string, error) {
	out, err := br.NS.Run(ctx, "bridge", "fdb", "show", "br", br.Name)
	if err != nil {
		return nil, err
	}
	return ParseFDB(out), nil
}

// ParseFDB reads `bridge fdb show` lines such as
// "00:00:5e:00:01:01 dev p1-r1 master br0" and keeps the dynamic ones
// (no "permanent" or "static" flag).
func ParseFDB(out string) map[string]string {
	fdb := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "dev" {
			continue
		}
		if strings.Contains(line, "permanent") || strings.Contains(line, "static") {
			continue
		}
		mac, err := net.ParseMAC(f[0])
		if err != nil {
			continue
		}
		fdb[mac.String()] = f[2]
	}
	return fdb
}

func checkIfName(name string) error {
	if name == "" || len(name) > maxIfName || strings.ContainsAny(name, "/ \t\n:") {
		return fmt.Errorf("netns: interface name %q: want 1..%d bytes without '/', ':' or spaces", name, maxIfName)
	}
	return nil
}
