package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/netns"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/failover"
)

// Env drives drills in the lab (failover.Env): the witness and the prober
// run in the client namespace; triggers act on the routers' namespaces and
// the switch.
type Env struct {
	Lab *Lab
}

var _ failover.Env = (*Env)(nil)

// Networks returns the drill networks of the lab, all or the one named,
// each with all its groups (the drilled one, the network's own, first).
func (l *Lab) Networks(name string) ([]failover.Network, error) {
	var out []failover.Network
	for _, n := range Nets {
		if name != "" && n.Name != name {
			continue
		}
		fn := failover.Network{
			Name: n.Name, VHID: n.VHID, VIP: n.VIP.Addr(), AdvBase: uint8(l.AdvBase()),
			BackupSkew: l.backupSkew(), Routers: []string{Router1, Router2}, Preempt: true,
		}
		for _, g := range l.Groups() {
			if g.Net.Name == n.Name {
				fn.Groups = append(fn.Groups, failover.GroupPlan{VHID: g.VHID, Preferred: g.Preferred, MasterDown: l.masterDown(g)})
			}
		}
		out = append(out, fn)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lab: no network %q; want intranought or public", name)
	}
	return out, nil
}

// masterDown is the time g's backup waits for its master's adverts: CARP's
// 3*advbase + advskew/256 s, or VRRPv3's Master_Down_Interval (3
// intervals and the backup's Skew_Time) with keepalived.
func (l *Lab) masterDown(g Group) time.Duration {
	backup := otherRouter(g.Preferred)
	if l.Opts.VRRP() {
		return carp.VRRPMasterDown(uint8(g.VRRPPriority(backup)), uint16(VRRPInterval(l.AdvBase())))
	}
	return carp.MasterDown(uint8(l.AdvBase()), int(g.AdvSkew(backup)))
}

// backupSkew is the advskew the drill's CARP timing rule (failover.Network)
// takes for the backup: router-003's, or with VRRPv3 the one that gives
// its Skew_Time, (256-priority)/256 of an interval, in 256ths of a second
// (at most 255: the rule is then short of VRRPv3's by under 1 s a second
// of advbase above 2).
func (l *Lab) backupSkew() uint8 {
	if !l.Opts.VRRP() {
		return AdvSkew[Router2]
	}
	g := Group{Preferred: Router1}
	return uint8(min((256-g.VRRPPriority(Router2))*l.AdvBase(), 255))
}

// Target implements failover.Env.
func (e *Env) Target() string { return "lab " + e.Lab.Opts.Prefix }

// Pair implements failover.Env.
func (e *Env) Pair() string { return PairName(e.Lab.Opts.Prefix) }

func labNet(n failover.Network) (Net, error) {
	ln, ok := NetByName(n.Name)
	if !ok {
		return Net{}, fmt.Errorf("lab: no network %q", n.Name)
	}
	return ln, nil
}

// Gate implements failover.Env: the lab is healthy (Status): every
// namespace and process is there, each group has exactly one master, and
// no partition is left in place.
func (e *Env) Gate(ctx context.Context, n failover.Network) (string, error) {
	if err := e.Lab.SyncSwitch(ctx); err != nil {
		return "", err
	}
	st := e.Lab.Status(ctx)
	if err := st.Err(); err != nil {
		return "", fmt.Errorf("%w; %s", err, st.Remedy())
	}
	for _, ns := range st.Networks {
		if ns.Name == n.Name && ns.VHID == n.VHID {
			return fmt.Sprintf("lab healthy: %d namespaces, %d processes, %s master %s", len(st.Namespaces), len(st.Procs), n.Name, dashed(ns.Master)), nil
		}
	}
	return "", fmt.Errorf("lab: no network %q", n.Name)
}

func dashed(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Observe implements failover.Env: a witness on the client's leg.
func (e *Env) Observe(ctx context.Context, n failover.Network) (failover.Observer, error) {
	ln, err := labNet(n)
	if err != nil {
		return nil, err
	}
	ns := e.Lab.ns(Client)
	return failover.OpenWitness(failover.WitnessConfig{
		Interface: ln.Leg, VIP: n.VIP, Source: ln.Addrs[Client].Addr(), ProbeMAC: ProbeMAC,
		Enter: func(fn func() error) error { return netns.Enter(ns, fn) },
	})
}

// ProbeMAC sends the lab prober's ARP requests (failover.WitnessConfig):
// locally administered, on no interface, so that the answers leave the
// client's ARP cache alone and a black-holed VIP shows in the echoes.
var ProbeMAC = net.HardwareAddr{0x02, 0xca, 0x7b, 0x00, 0x00, 0x01}

// RouterName implements failover.Env.
func (e *Env) RouterName(n failover.Network, src netip.Addr) string {
	ln, err := labNet(n)
	if err != nil {
		return ""
	}
	for _, r := range []string{Router1, Router2} {
		if ln.Addrs[r].Addr() == src {
			return r
		}
	}
	return ""
}

// VIPMAC implements failover.Env: the virtual MAC for a carpvm node (the
// shared MAC on a network whose switch model gives both routers one), the
// leg's own MAC for ucarp and keepalived (which put the VIP on their
// interface) and for a
// carpvm node with no_vmac.
func (e *Env) VIPMAC(ctx context.Context, n failover.Network, router string) net.HardwareAddr {
	ln, err := labNet(n)
	if err != nil {
		return nil
	}
	if !e.Lab.vipOnLeg(router) && !e.Lab.State.Node.NoVMAC {
		return e.Lab.vipMAC(ln, n.VHID)
	}
	mac, err := e.Lab.LegMAC(ctx, router, ln)
	if err != nil {
		return nil
	}
	return mac
}

// LegMAC is the MAC of member's leg on n.
func (l *Lab) LegMAC(ctx context.Context, member string, n Net) (net.HardwareAddr, error) {
	out, err := nsRun(ctx, l.ns(member), "cat", "/sys/class/net/"+n.Leg+"/address")
	if err != nil {
		return nil, err
	}
	return net.ParseMAC(strings.TrimSpace(out))
}

// Relearned implements failover.Env: the switch's forwarding table has
// mac on router's port of the network's bridge; with a vSwitch model that
// learns nothing, the model says whether frames to mac reach that port.
func (e *Env) Relearned(ctx context.Context, n failover.Network, mac net.HardwareAddr, router string, _ failover.Measurement) (bool, string, error) {
	ln, err := labNet(n)
	if err != nil {
		return false, "", err
	}
	if ok, learns, why := e.Lab.modelDelivers(ln, mac, router); !learns {
		return ok, why, nil
	}
	fdb, err := e.Lab.FDB(ctx, ln)
	if err != nil {
		return false, "", err
	}
	port, want := fdb[mac.String()], BridgePort(router, ln)
	if port == want {
		return true, fmt.Sprintf("bridge %s forwards %s to %s (%s)", ln.Bridge, mac, want, router), nil
	}
	return false, fmt.Sprintf("bridge %s forwards %s to %q, want %s (%s)", ln.Bridge, mac, port, want, router), nil
}

// FDB is the learnt part of n's bridge forwarding table: MAC -> port.
func (l *Lab) FDB(ctx context.Context, n Net) (map[string]string, error) {
	out, err := nsRun(ctx, l.ns(Switch), "bridge", "fdb", "show", "br", n.Bridge)
	if err != nil {
		return nil, err
	}
	return netns.ParseFDB(out), nil
}

// LogTail returns the end of every process log, for failure messages.
func (l *Lab) LogTail(lines int) string {
	var b strings.Builder
	for _, p := range l.State.Procs {
		data, err := os.ReadFile(p.Log)
		if err != nil {
			continue
		}
		ls := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(ls) > lines {
			ls = ls[len(ls)-lines:]
		}
		fmt.Fprintf(&b, "== %s ==\n%s\n", filepath.Base(p.Log), strings.Join(ls, "\n"))
	}
	return b.String()
}
