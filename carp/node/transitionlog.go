package node

import (
	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/transition"
)

// recordTransition appends t to the transition log (Options.Transitions)
// as the line `carpvm explain` reads: this router's name (Options.Name,
// else the interface's), the group's network (Group.Network, else the
// interface), its vhid, the router's demotion. A failed write is logged,
// never fatal: the log explains failovers, it must not cause one.
func (n *Node) recordTransition(g *group, t carp.Transition) {
	w := n.opts.Transitions
	if w == nil {
		return
	}
	router := n.opts.Name
	if router == "" {
		router = g.cfg.Interface
	}
	network := g.cfg.Network
	if network == "" {
		network = g.cfg.Interface
	}
	var demotion int
	if n.router != nil {
		d := n.router.Demotion()
		demotion = int(d.Total())
	}
	line := transition.Transition{Time: n.clock.Now(), Router: router, Network: network, VHID: int(g.cfg.VHID),
		From: t.From.String(), To: t.To.String(), Reason: t.Reason, Demotion: demotion}
	if err := w.Write(line); err != nil {
		g.log.Error("cannot write the transition log", "err", err)
	}
}
