package lab

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/failover"
)

// labTrigger is one trigger as the lab carries it out: what it does and
// undoes, in words for the plan (describe), and in deeds; the object it
// acts on (nil: the router's processes and switch ports) and how its
// effect is read back (effect_linux.go).
type labTrigger struct {
	describe func(e *Env, c triggerCall) (do, undo string)
	do, undo func(ctx context.Context, e *Env, c triggerCall) error
	object   func(e *Env, c triggerCall) string
	effect   func(ctx context.Context, e *Env, c triggerCall) (bool, string, error)
}

// triggerCall is what a trigger acts on: the drilled group's network (n),
// the lab's network of it (net) and the router failed.
type triggerCall struct {
	n      failover.Network
	net    Net
	router string
}

// labTriggers is the one list of the triggers the lab supports; link-down
// acts as nic-disconnect (failover.Trigger.Action).
var labTriggers = map[failover.Trigger]labTrigger{
	failover.TriggerNICDisconnect: {
		object: func(e *Env, c triggerCall) string {
			return fmt.Sprintf("%s's switch port %s", c.router, BridgePort(c.router, c.net))
		},
		effect: portDown,
		describe: func(e *Env, c triggerCall) (string, string) {
			return fmt.Sprintf("set %s's switch port %s down in %s (link lost on %s)", c.router, BridgePort(c.router, c.net), e.Lab.ns(Switch), c.net.Leg),
				fmt.Sprintf("set %s up again", BridgePort(c.router, c.net))
		},
		do: func(ctx context.Context, e *Env, c triggerCall) error {
			_, err := nsRun(ctx, e.Lab.ns(Switch), "ip", "link", "set", BridgePort(c.router, c.net), "down")
			return err
		},
		undo: func(ctx context.Context, e *Env, c triggerCall) error {
			if _, err := nsRun(ctx, e.Lab.ns(Switch), "ip", "link", "set", BridgePort(c.router, c.net), "up"); err != nil {
				return err
			}
			return e.Lab.waitForwarding(ctx, c.router, portWait)
		},
	},
	failover.TriggerPowerOff: {
		effect: poweredOff,
		describe: func(e *Env, c triggerCall) (string, string) {
			return fmt.Sprintf("power %s off: SIGKILL its %s process(es), drop its switch ports", c.router, e.Lab.kind(c.router)),
				fmt.Sprintf("power %s on: clear left-over VIPs, ports up, restart its %s process(es)", c.router, e.Lab.kind(c.router))
		},
		do:   func(ctx context.Context, e *Env, c triggerCall) error { return e.Lab.powerOff(ctx, c.router) },
		undo: func(ctx context.Context, e *Env, c triggerCall) error { return e.Lab.powerOn(ctx, c.router) },
	},
	failover.TriggerDemote: {
		object: func(e *Env, c triggerCall) string { return fmt.Sprintf("%s's vhid %d", c.router, c.n.VHID) },
		effect: demoted,
		describe: func(e *Env, c triggerCall) (string, string) {
			switch e.Lab.kind(c.router) {
			case PeerUcarp:
				return fmt.Sprintf("demote %s: SIGUSR2 to its ucarp for vhid %d (ucarp steps down, pauses 3 s)", c.router, c.n.VHID),
					"nothing to undo: ucarp listens again after its pause"
			case PeerKeepalived:
				return fmt.Sprintf("demote %s vhid %d: not supported, keepalived has no run-time demotion", c.router, c.n.VHID), ""
			}
			return fmt.Sprintf("demote %s vhid %d over its control socket", c.router, c.n.VHID),
				fmt.Sprintf("promote %s vhid %d over its control socket", c.router, c.n.VHID)
		},
		do: func(ctx context.Context, e *Env, c triggerCall) error {
			switch e.Lab.kind(c.router) {
			case PeerUcarp:
				return e.Lab.signalUcarp(c.router, c.net.Name, c.n.VHID, syscall.SIGUSR2)
			case PeerKeepalived:
				return fmt.Errorf("lab: demote %s: keepalived has no run-time demotion (its priority changes with a track script or file, which the lab does not configure); demote router-002, the carpvm node, instead", c.router)
			}
			_, err := node.Call(ctx, e.Lab.ControlSocket(c.router), node.Request{Command: node.CmdDemote, VHID: c.n.VHID})
			return err
		},
		undo: func(ctx context.Context, e *Env, c triggerCall) error {
			if e.Lab.kind(c.router) != PeerCarpvm {
				return nil
			}
			_, err := node.Call(ctx, e.Lab.ControlSocket(c.router), node.Request{Command: node.CmdPromote, VHID: c.n.VHID})
			return err
		},
	},
	failover.TriggerStun: {
		effect: stunned,
		describe: func(e *Env, c triggerCall) (string, string) {
			return fmt.Sprintf("stun %s: SIGSTOP its %s process(es), its switch ports silent (state disabled)", c.router, e.Lab.kind(c.router)),
				fmt.Sprintf("thaw %s: its ports forward again, SIGCONT", c.router)
		},
		do:   func(ctx context.Context, e *Env, c triggerCall) error { return e.Lab.stun(ctx, c.router) },
		undo: func(ctx context.Context, e *Env, c triggerCall) error { return e.Lab.thaw(ctx, c.router) },
	},
	failover.TriggerPartition: {
		object: func(e *Env, c triggerCall) string { return fmt.Sprintf("bridge %s's router ports", c.net.Bridge) },
		effect: portsIsolated,
		describe: func(e *Env, c triggerCall) (string, string) {
			return fmt.Sprintf("isolate %s and %s from each other on bridge %s (the client still reaches both)", BridgePort(Router1, c.net), BridgePort(Router2, c.net), c.net.Bridge),
				"heal: ports no longer isolated"
		},
		do: func(ctx context.Context, e *Env, c triggerCall) error {
			for _, r := range []string{Router1, Router2} {
				if _, err := nsRun(ctx, e.Lab.ns(Switch), "bridge", "link", "set", "dev", BridgePort(r, c.net), "isolated", "on"); err != nil {
					return err
				}
			}
			return nil
		},
		undo: func(ctx context.Context, e *Env, c triggerCall) error {
			var errs []error
			for _, r := range []string{Router1, Router2} {
				if _, err := nsRun(ctx, e.Lab.ns(Switch), "bridge", "link", "set", "dev", BridgePort(r, c.net), "isolated", "off"); err != nil {
					errs = append(errs, err)
				}
			}
			if len(errs) > 0 {
				return errs[0]
			}
			return nil
		},
	},
}

// Describe implements failover.Env.
func (e *Env) Describe(t failover.Trigger, n failover.Network, router string) (string, string) {
	lt, ok := labTriggers[t]
	if !ok {
		return string(t), ""
	}
	ln, _ := labNet(n)
	return lt.describe(e, triggerCall{n: n, net: ln, router: router})
}

// Trigger implements failover.Env.
func (e *Env) Trigger(ctx context.Context, t failover.Trigger, n failover.Network, router string) error {
	lt, c, err := e.lookup(t, n, router)
	if err != nil {
		return err
	}
	return lt.do(ctx, e, c)
}

// Undo implements failover.Env.
func (e *Env) Undo(ctx context.Context, t failover.Trigger, n failover.Network, router string) error {
	lt, c, err := e.lookup(t, n, router)
	if err != nil {
		return err
	}
	return lt.undo(ctx, e, c)
}

// lookup finds t in labTriggers and n's network in the lab.
func (e *Env) lookup(t failover.Trigger, n failover.Network, router string) (labTrigger, triggerCall, error) {
	ln, err := labNet(n)
	if err != nil {
		return labTrigger{}, triggerCall{}, err
	}
	lt, ok := labTriggers[t]
	if !ok {
		return labTrigger{}, triggerCall{}, fmt.Errorf("lab: trigger %q is not supported", t)
	}
	return lt, triggerCall{n: n, net: ln, router: router}, nil
}

// powerOff "powers off" router as pulling a VM's plug would: its CARP
// process(es) killed outright, its switch ports down.
func (l *Lab) powerOff(ctx context.Context, router string) error {
	l.stopRouter(router, syscall.SIGKILL)
	if err := l.State.save(l.Opts.StateDir); err != nil {
		return err
	}
	for _, x := range Nets {
		if _, err := nsRun(ctx, l.ns(Switch), "ip", "link", "set", BridgePort(router, x), "down"); err != nil {
			return err
		}
	}
	return nil
}

// powerOn brings a "powered off" router back as a booting VM would: no
// left-over VIP holders, links up, its CARP process(es) started afresh.
func (l *Lab) powerOn(ctx context.Context, router string) error {
	l.stopRouter(router, syscall.SIGKILL) // idempotent: nothing left normally
	ns := l.ns(router)
	out, err := nsRun(ctx, ns, "ip", "-o", "link", "show")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if strings.HasPrefix(name, "carp") {
			if _, err := nsRun(ctx, ns, "ip", "link", "del", name); err != nil {
				return err
			}
		}
	}
	for _, n := range Nets {
		// ucarp's and keepalived's VIP sits on the leg itself; a fresh
		// boot has none.
		_, _ = nsRun(ctx, ns, "ip", "addr", "del", n.VIP.String(), "dev", n.Leg)
		if _, err := nsRun(ctx, l.ns(Switch), "ip", "link", "set", BridgePort(router, n), "up"); err != nil {
			return err
		}
	}
	if err := l.waitForwarding(ctx, router, portWait); err != nil {
		return err
	}
	if l.kind(router) == PeerCarpvm {
		_ = os.Remove(l.ControlSocket(router))
	}
	if err := l.startRouter(router); err != nil {
		return err
	}
	return l.State.save(l.Opts.StateDir)
}
