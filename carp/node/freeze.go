package node

import (
	"time"

	"github.com/carpvm/carpvm/carp"
)

// freezeFloor is the least lateness counted as a freeze whatever the
// interval, so that a sub-second advbase does not count scheduling jitter.
const freezeFloor = 500 * time.Millisecond

// ClockJump is the last time the node found it had been frozen: its
// timers fired much later than they were set for (a VM stun for a memory
// snapshot or vMotion, SIGSTOP, a host under memory pressure).
type ClockJump struct {
	At time.Time `json:"at"`
	// LateS is how late the most overdue timer fired, in seconds.
	LateS float64 `json:"late_s"`
}

// frozenFor says how late the machines' due timers fire at now, and
// whether that is a freeze: a MASTER's advert more than twice its
// interval (at least freezeFloor) past its deadline, a BACKUP's
// master-down timer more than freezeFloor past it. A running process is
// never that late; a stopped one finds every timer overdue on waking. A
// backup's timer is three intervals away, so that a freeze which ends
// just past it is caught at all, its rule is freezeFloor alone.
func (n *Node) frozenFor(now time.Time) (time.Duration, bool) {
	var late time.Duration
	frozen := false
	for _, g := range n.groups {
		d := g.m.Deadline()
		if d.IsZero() || now.Before(d) {
			continue
		}
		l := now.Sub(d)
		late = max(late, l)
		limit := freezeFloor
		if g.m.State() == carp.Master {
			limit = max(2*g.m.Interval(), freezeFloor)
		}
		if l > limit {
			frozen = true
		}
	}
	return late, frozen
}

// thawed runs after the timers of a frozen node: they have advertised (a
// MASTER's advert was due), so each group still MASTER re-announces its
// VIPs at once (gratuitous ARP, unsolicited NA) rather than two intervals
// later: while it was frozen the peer may have taken over and announced
// its own MAC, and clients would otherwise keep sending there until their
// ARP caches expire. Who stays master is CARP's ordinary rule: the peer
// that hears this advert steps down when it is the slower one; this node
// steps down on the peer's next advert when it is.
func (n *Node) thawed(now time.Time, late time.Duration) {
	n.clockJumps++
	n.lastClockJump = &ClockJump{At: now, LateS: late.Seconds()}
	var masters []int
	for _, g := range n.groups {
		if g.m.State() == carp.Master {
			masters = append(masters, int(g.cfg.VHID))
		}
	}
	reannounce := len(masters) > 0 && !n.opts.NoFreezeReannounce
	n.log.Warn("timers fired late: this node was frozen (VM stun, snapshot, vMotion or SIGSTOP)",
		"late", late.Round(time.Millisecond).String(), "master_of", masters, "reannounce", reannounce)
	if !reannounce {
		return
	}
	for _, g := range n.groups {
		if g.m.State() == carp.Master {
			n.sendGARP(g)
		}
	}
}
