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
	n.recordTransition(g, t)
}

func (n *Node) sendAdvert(g *group, a carp.SendAdvert) {
	g.reserve(a.Advert.Counter)
	if a.Dst.IsValid() {
		// Unicast (FreeBSD 14 peer): from the interface's own address and
		// MAC to the peer's, which the kernel resolves.
		src := g.link.self
		if a.IPv6 {
			src = g.link.self6
		}
		n.sendResult(g.cfg.Interface, n.logSendErr(g, a, g.link.unicast.SendTo(a.Payload, src, a.Dst)))
		return
	}
	f := carp.Frame{
		SrcMAC:  g.cfg.VirtualMAC(),
		Src:     g.link.self,
		Dst:     carp.GroupV4,
		TTL:     carp.TTL,
		TOS:     carp.TOSFreeBSD,
		Payload: a.Payload,
	}
	if a.IPv6 {
		// FreeBSD: from the parent's link-local address to ff02::12, hop
		// limit 255, traffic class 0xe0 (net.inet.carp.dscp 56 << 2).
		f.Src, f.Dst = g.link.self6, carp.GroupV6
	}
	frame := carp.AppendFrame(make([]byte, 0, 14+40+len(a.Payload)), f)
	// Failed sends demote the whole router, as FreeBSD's
	// senderr_demotion_factor does.
	n.sendResult(g.cfg.Interface, n.logSendErr(g, a, g.link.link.WriteFrame(frame)))
}

// logSendErr counts a failed send and logs the first failure and then
// every 100th, not every advert; it reports whether the send succeeded.
func (n *Node) logSendErr(g *group, a carp.SendAdvert, err error) bool {
	if err == nil {
		return true
	}
	g.sendErrs++
	if g.sendErrs%100 == 1 {
		g.log.Warn("cannot send advert", "err", err, "failures", g.sendErrs, "ipv6", a.IPv6)
	}
	return false
}

// sendGARP announces the VIPs from the MAC they resolve to (the virtual
// MAC, or the parent's with --no-vmac): a gratuitous ARP per IPv4 VIP and
// an unsolicited neighbour advertisement (Override set) per IPv6 VIP.
func (n *Node) sendGARP(g *group) {
	if g.vips == nil {
		return // the scripts own the VIPs and their announcement
	}
	src := g.vips.GARPSource()
	router := false
	for _, v := range g.cfg.VIPs {
		if v.Addr().Is6() {
			router = n.opts.IPv6Forwarding(g.cfg.Interface)
			break
		}
	}
	for _, v := range g.cfg.VIPs {
		var b []byte
		var err error
		what := "gratuitous ARP"
		if v.Addr().Is4() {
			b, err = appendGARP(nil, src, v.Addr())
		} else {
			what = "neighbour advertisement"
			b, err = appendNA(nil, src, v.Addr(), router)
		}
		if err != nil {
			g.log.Warn("cannot build "+what, "vip", v.Addr(), "err", err)
			continue
		}
		if err := g.link.link.WriteFrame(b); err != nil {
			g.log.Warn("cannot send "+what, "vip", v.Addr(), "err", err)
		}
	}
}
