package lab

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
)

// switchTools are the programs the vSwitch model needs besides ip and
// bridge.
var switchTools = []string{"tc"}

// checkSwitchTools says why the vSwitch model cannot be built here.
func checkSwitchTools() error {
	for _, t := range switchTools {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("lab: the vSwitch model needs %s (iproute2): %w", t, err)
		}
	}
	return nil
}

// prepareSwitch readies switch namespace sw for the model: bridged frames
// skip iptables (this kernel may have br_netfilter on, and forged frames
// must reach tc untouched), and the blackhole exists, down.
func prepareSwitch(ctx context.Context, sw string) error {
	for _, key := range []string{"bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables"} {
		// Absent without br_netfilter: nothing to turn off then.
		_, _ = nsRun(ctx, sw, "sysctl", "-q", "-w", "net.bridge."+key+"=0")
	}
	if _, err := nsRun(ctx, sw, "ip", "link", "show", blackhole); err == nil {
		return nil
	}
	_, err := nsRun(ctx, sw, "ip", "link", "add", blackhole, "type", "veth", "peer", "name", "cvl-drop1")
	return err
}

// applyPolicy gives bridge br's ports in switch namespace sw the policy p:
// learning off on every port unless p learns, and each router port's
// filters (routers: ports whose vNIC MACs are known).
func applyPolicy(ctx context.Context, sw string, p Policy, routers []Port, others []string) error {
	learning := "off"
	if p.learns() {
		learning = "on"
	}
	for _, port := range others {
		if _, err := nsRun(ctx, sw, "bridge", "link", "set", "dev", port, "learning", learning, "flood", "on"); err != nil {
			return err
		}
	}
	for _, port := range routers {
		if _, err := nsRun(ctx, sw, "bridge", "link", "set", "dev", port.Name, "learning", learning, "flood", "on"); err != nil {
			return err
		}
		if err := applyPort(ctx, sw, port, p); err != nil {
			return err
		}
	}
	return nil
}

// applyPort (re)installs port's filters for p.
func applyPort(ctx context.Context, sw string, port Port, p Policy) error {
	// Start clean: deleting the clsact qdisc drops every filter on it.
	_, _ = nsRun(ctx, sw, "tc", "qdisc", "del", "dev", port.Name, "clsact")
	for _, args := range tcCommands(port, p) {
		if _, err := nsRun(ctx, sw, "tc", args...); err != nil {
			return fmt.Errorf("lab: vSwitch model on port %s: %w", port.Name, err)
		}
	}
	return nil
}

// legMAC reads the MAC of interface ifname in namespace ns.
func legMAC(ctx context.Context, ns, ifname string) (net.HardwareAddr, error) {
	out, err := nsRun(ctx, ns, "cat", "/sys/class/net/"+ifname+"/address")
	if err != nil {
		return nil, err
	}
	return net.ParseMAC(strings.TrimSpace(out))
}

// modelPorts are n's router ports with their vNICs' assigned MACs (as
// the state recorded them) and effective MACs (as the guests use them
// now).
func (l *Lab) modelPorts(ctx context.Context, n Net) ([]Port, error) {
	var ports []Port
	for _, r := range []string{Router1, Router2} {
		name := BridgePort(r, n)
		assigned, err := net.ParseMAC(l.State.Assigned[name])
		if err != nil {
			return nil, fmt.Errorf("lab: state has no assigned MAC for port %s: %w", name, err)
		}
		effective, err := legMAC(ctx, l.ns(r), n.Leg)
		if err != nil {
			return nil, err
		}
		ports = append(ports, Port{Name: name, Assigned: assigned, Effective: effective, MirrorAdverts: l.advertMirror(n)})
	}
	return ports, nil
}

// advertMirror is the port a router port's adverts on n are copied to: the
// client's in a unicast lab (Port.MirrorAdverts), none otherwise.
func (l *Lab) advertMirror(n Net) string {
	if !l.State.Unicast {
		return ""
	}
	return BridgePort(Client, n)
}

// buildSwitch records every router port's assigned MAC and applies the
// model to the lab's bridges (after the legs exist, before the routers
// start).
func (l *Lab) buildSwitch(ctx context.Context) error {
	m := l.State.Switch
	if m == nil {
		return nil
	}
	sw := l.ns(Switch)
	if err := prepareSwitch(ctx, sw); err != nil {
		return err
	}
	l.State.Assigned, l.State.Applied = map[string]string{}, map[string]string{}
	for _, n := range Nets {
		for _, r := range []string{Router1, Router2} {
			mac, err := legMAC(ctx, l.ns(r), n.Leg)
			if err != nil {
				return err
			}
			l.State.Assigned[BridgePort(r, n)] = mac.String()
		}
	}
	for _, n := range Nets {
		ports, err := l.modelPorts(ctx, n)
		if err != nil {
			return err
		}
		if err := applyPolicy(ctx, sw, m.Nets[n.Name], ports, []string{BridgePort(Client, n)}); err != nil {
			return err
		}
		for _, port := range ports {
			l.State.Applied[port.Name] = port.Effective.String()
		}
	}
	return nil
}

// SyncSwitch applies the model again to each router port whose guest
// changed its MAC since the lab was built: ESXi sees a guest's MAC change
// when its driver programs it, the lab when it next looks (a drill's
// gate). Ports whose MAC did not change keep their filters untouched, so
// that no frame slips through while they would be rebuilt. Without a
// model it does nothing.
func (l *Lab) SyncSwitch(ctx context.Context) error {
	m := l.State.Switch
	if m == nil {
		return nil
	}
	sw := l.ns(Switch)
	for _, n := range Nets {
		ports, err := l.modelPorts(ctx, n)
		if err != nil {
			return err
		}
		for _, port := range ports {
			if port.Effective.String() == l.State.Applied[port.Name] {
				continue
			}
			if err := applyPort(ctx, sw, port, m.Nets[n.Name]); err != nil {
				return err
			}
			l.State.Applied[port.Name] = port.Effective.String()
			if err := l.State.save(l.Opts.StateDir); err != nil {
				return err
			}
		}
	}
	return nil
}

// setSharedMACs gives both routers' legs on a network with a shared MAC
// that MAC, as the VMs' manual MAC setting does.
func (l *Lab) setSharedMACs(ctx context.Context) error {
	m := l.State.Switch
	if m == nil {
		return nil
	}
	for _, n := range Nets {
		mac := m.Nets[n.Name].SharedMAC
		if mac == "" {
			continue
		}
		for _, r := range []string{Router1, Router2} {
			if _, err := nsRun(ctx, l.ns(r), "ip", "link", "set", n.Leg, "address", mac); err != nil {
				return err
			}
		}
	}
	return nil
}
