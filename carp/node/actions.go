package node

import (
	"github.com/carpvm/carpvm/carp"
)

// perform carries out a machine's actions in the order given (see
// carp.Action), then queues the up or down script of a transition.
func (n *Node) perform(g *group, acts []carp.Action) {
	var hook *carp.Transition
	for _, a := range acts {
		switch a := a.(type) {
		case carp.Transition:
			n.logTransition(g, a)
			if a.To == carp.Master || a.From == carp.Master {
				t := a
				hook = &t
			}
		case carp.SendAdvert:
			n.sendAdvert(g, a)
		case carp.ClaimVIPs:
			if g.vips != nil {
				if err := g.vips.Claim(); err != nil {
					g.log.Error("cannot claim the VIPs", "err", err)
				}
			}
		case carp.ReleaseVIPs:
			if g.vips != nil {
				if err := g.vips.Release(); err != nil {
					g.log.Error("cannot release the VIPs", "err", err)
				}
			}
		case carp.SendGARP:
			n.sendGARP(g)
		}
	}
	if hook != nil {
		g.hooks.transition(*hook)
	}
}

func (n *Node) logTransition(g *group, t carp.Transition) {
	st := g.m.Status()
	peer := ""
	if st.MasterSeen.IsValid() {
		peer = st.MasterSeen.String()
	}
	g.log.Info("state change", "state", t.To.String(), "from", t.From.String(), "peer", peer, "reason", t.Reason)
}

func (n *Node) sendAdvert(g *group, a carp.SendAdvert) {
	frame := carp.AppendFrame(make([]byte, 0, 14+20+len(a.Payload)), carp.Frame{
		SrcMAC:  carp.VirtualMAC(g.cfg.VHID),
		Src:     g.link.self,
		Dst:     carp.GroupV4,
		TTL:     carp.TTL,
		TOS:     carp.TOSFreeBSD,
		Payload: a.Payload,
	})
	if err := g.link.link.WriteFrame(frame); err != nil {
		g.sendErrs++
		// Log the first failure and then every 100th, not every advert.
		if g.sendErrs%100 == 1 {
			g.log.Warn("cannot send advert", "err", err, "failures", g.sendErrs)
		}
	}
}

// sendGARP sends a gratuitous ARP per IPv4 VIP from the MAC the VIPs
// resolve to (the virtual MAC, or the parent's with --no-vmac).
func (n *Node) sendGARP(g *group) {
	if g.vips == nil {
		return // the scripts own the VIPs and their announcement
	}
	src := g.vips.GARPSource()
	for _, v := range g.cfg.VIPs {
		b, err := appendGARP(nil, src, v.Addr())
		if err != nil {
			g.log.Warn("cannot build gratuitous ARP", "vip", v.Addr(), "err", err)
			continue
		}
		if err := g.link.link.WriteFrame(b); err != nil {
			g.log.Warn("cannot send gratuitous ARP", "vip", v.Addr(), "err", err)
		}
	}
}
