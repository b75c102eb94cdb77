package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/failover"
)

// Reading a trigger's effect back in the lab (failover.EffectReader): what
// a drill journals before its trigger and a restore re-reads before and
// after its undo.

var _ failover.EffectReader = (*Env)(nil)

// bridgePort is one switch port as `bridge -j -d link show` has it.
type bridgePort struct {
	Name     string   `json:"ifname"`
	Master   string   `json:"master"`
	Flags    []string `json:"flags"`
	State    string   `json:"state"`
	Isolated bool     `json:"isolated"`
}

// up says the port's link is up (not set down by nic-disconnect or
// power-off).
func (p bridgePort) up() bool { return slices.Contains(p.Flags, "UP") }

// ports reads the switch's bridge ports, by name.
func (l *Lab) ports(ctx context.Context) (map[string]bridgePort, error) {
	out, err := nsRun(ctx, l.ns(Switch), "bridge", "-j", "-d", "link", "show")
	if err != nil {
		return nil, err
	}
	var list []bridgePort
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, fmt.Errorf("lab: bridge ports of %s: %w", l.ns(Switch), err)
	}
	byName := make(map[string]bridgePort, len(list))
	for _, p := range list {
		byName[p.Name] = p
	}
	return byName, nil
}

// Reads implements failover.EffectReader: every lab trigger is read back
// from the switch's ports, the routers' processes or a node's status.
func (e *Env) Reads(failover.Trigger) bool { return true }

// Object implements failover.EffectReader.
func (e *Env) Object(t failover.Trigger, n failover.Network, router string) string {
	ln, _ := labNet(n)
	c := triggerCall{n: n, net: ln, router: router}
	if lt, ok := labTriggers[t]; ok && lt.object != nil {
		return lt.object(e, c)
	}
	return fmt.Sprintf("%s (its %s process(es) and switch ports)", router, e.Lab.kind(router))
}

// Effect implements failover.EffectReader. The lab is re-read from its
// state file first: the drill whose journal is restored may have changed
// it (power-off forgets the processes it killed, power-on records the new
// ones).
func (e *Env) Effect(ctx context.Context, t failover.Trigger, n failover.Network, router string) (bool, string, error) {
	lt, c, err := e.lookup(t, n, router)
	if err != nil {
		return false, "", err
	}
	if st, err := loadState(e.Lab.Opts.StateDir); err != nil {
		return false, "", err
	} else if st != nil {
		e.Lab.State = st
	}
	return lt.effect(ctx, e, c)
}

// switchPort is member's port on x's bridge among ports.
func switchPort(ports map[string]bridgePort, member string, x Net) (bridgePort, error) {
	p, ok := ports[BridgePort(member, x)]
	if !ok {
		return p, fmt.Errorf("lab: switch port %s is missing", BridgePort(member, x))
	}
	return p, nil
}

// portDown reads nic-disconnect back: the router's port is down.
func portDown(ctx context.Context, e *Env, c triggerCall) (bool, string, error) {
	ports, err := e.Lab.ports(ctx)
	if err != nil {
		return false, "", err
	}
	p, err := switchPort(ports, c.router, c.net)
	if err != nil {
		return false, "", err
	}
	return !p.up(), fmt.Sprintf("port %s up=%t", p.Name, p.up()), nil
}

// portsIsolated reads partition back: a router port of the bridge is
// isolated.
func portsIsolated(ctx context.Context, e *Env, c triggerCall) (bool, string, error) {
	ports, err := e.Lab.ports(ctx)
	if err != nil {
		return false, "", err
	}
	var iso []string
	for _, r := range []string{Router1, Router2} {
		p, err := switchPort(ports, r, c.net)
		if err != nil {
			return false, "", err
		}
		if p.Isolated {
			iso = append(iso, p.Name)
		}
	}
	if len(iso) > 0 {
		return true, fmt.Sprintf("bridge %s: %s isolated", c.net.Bridge, strings.Join(iso, ", ")), nil
	}
	return false, fmt.Sprintf("bridge %s: no port isolated", c.net.Bridge), nil
}

// poweredOff reads power-off back: a port not forwarding, or the router's
// processes not all running.
func poweredOff(ctx context.Context, e *Env, c triggerCall) (bool, string, error) {
	off, err := e.Lab.silentPorts(ctx, c.router)
	if err != nil {
		return false, "", err
	}
	running, dead, _ := e.Lab.routerProcs(c.router)
	on := len(off) > 0 || running == 0 || len(dead) > 0
	return on, fmt.Sprintf("%s: %d process(es) running, %d dead%s; ports not forwarding: %s", c.router, running, len(dead), deadNote(dead), dashed(strings.Join(off, ", "))), nil
}

// deadNote names each dead process and the last line of its log: why a
// node restarted by power-on is gone (refused its locks, a bad config).
func deadNote(dead []Proc) string {
	var b strings.Builder
	for _, p := range dead {
		line := lastLine(p.Log)
		if line == "" {
			line = "its log is empty or missing"
		}
		fmt.Fprintf(&b, " (pid %d, %s: %s)", p.Pid, p.Log, line)
	}
	return b.String()
}

// lastLine is the last non-empty line of the file at path ("" when none).
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// stunned reads stun back: a port not forwarding, or a process stopped.
func stunned(ctx context.Context, e *Env, c triggerCall) (bool, string, error) {
	off, err := e.Lab.silentPorts(ctx, c.router)
	if err != nil {
		return false, "", err
	}
	running, _, stopped := e.Lab.routerProcs(c.router)
	on := len(off) > 0 || stopped > 0
	return on, fmt.Sprintf("%s: %d of %d process(es) stopped (SIGSTOP); ports not forwarding: %s", c.router, stopped, running, dashed(strings.Join(off, ", "))), nil
}

// waitForwarding waits until every switch port of router forwards, up to
// within: a port set up gets its carrier back through the kernel's link
// watch, which on a busy host (its work waits for the RTNL lock) comes
// late, and a drill's restore reads the power-on back at once. Each read
// runs to its end, so that a timeout names the ports last read silent.
func (l *Lab) waitForwarding(ctx context.Context, router string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		off, err := l.silentPorts(ctx, router)
		if err == nil && len(off) == 0 {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("not forwarding: %s", strings.Join(off, ", "))
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("lab: %s's switch ports, %s after they were set up: %w", router, within, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// portWait bounds waitForwarding after a power-on or a port set up.
const portWait = 10 * time.Second

// silentPorts are router's switch ports that are down or not forwarding,
// each as "PORT STATE".
func (l *Lab) silentPorts(ctx context.Context, router string) ([]string, error) {
	ports, err := l.ports(ctx)
	if err != nil {
		return nil, err
	}
	var off []string
	for _, x := range Nets {
		p, err := switchPort(ports, router, x)
		if err != nil {
			return nil, err
		}
		if !p.up() || p.State != "forwarding" {
			off = append(off, fmt.Sprintf("%s %s", p.Name, p.State))
		}
	}
	return off, nil
}

// routerProcs counts router's recorded processes: running (a process just
// started still runs as its `ip netns exec` wrapper until it execs, which
// counts) and stopped among them (SIGSTOP: a stun); and lists the dead.
func (l *Lab) routerProcs(router string) (running int, dead []Proc, stopped int) {
	for _, p := range l.State.Procs {
		if p.Router != router {
			continue
		}
		state := procState(p.Pid)
		if !procAlive(p) && (state == "" || state == "Z" || filepath.Base(procName(p.Pid)) != "ip") {
			dead = append(dead, p)
			continue
		}
		running++
		if state == "T" || state == "t" {
			stopped++
		}
	}
	return running, dead, stopped
}

// demoted reads a carpvm node's demotion of n's group; ucarp's demote
// passes by itself (it listens again after its pause) and keepalived has
// none, so neither leaves anything to undo.
func demoted(ctx context.Context, e *Env, c triggerCall) (bool, string, error) {
	n, router := c.n, c.router
	if e.Lab.kind(router) != PeerCarpvm {
		return false, fmt.Sprintf("%s runs %s: a demote leaves nothing to undo", router, e.Lab.kind(router)), nil
	}
	resp, err := node.Call(ctx, e.Lab.ControlSocket(router), node.Request{Command: node.CmdStatus})
	if err != nil {
		return false, "", err
	}
	if resp.Status == nil {
		return false, "", fmt.Errorf("lab: %s: no status", router)
	}
	for _, g := range resp.Status.Groups {
		if g.VHID == n.VHID {
			return g.Demotion > 0, fmt.Sprintf("%s vhid %d demotion %d", router, n.VHID, g.Demotion), nil
		}
	}
	return false, "", fmt.Errorf("lab: %s runs no vhid %d", router, n.VHID)
}
