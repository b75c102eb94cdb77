package failover

import (
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// Window says what Analyze looks at: one VHID's adverts and the replies
// of one VIP, around a trigger.
type Window struct {
	VHID uint8
	// Trigger is when the drill acted; OldMaster advertised before it.
	Trigger   time.Time
	OldMaster netip.Addr
	// End is when measuring stopped; events after it are ignored (they
	// belong to the restore). Zero means no bound.
	End time.Time
	// Heal is when a partition was healed; zero for other triggers.
	Heal time.Time
	// OpenGap is how long replies must have stopped at the window's end
	// for the outage to count as still open (default DefaultOpenGap).
	OpenGap time.Duration
}

// ProbeInterval is how often the prober asks for the VIP (ARP and ICMP).
const ProbeInterval = 10 * time.Millisecond

// DefaultOpenGap is Window.OpenGap's default: ten probe intervals.
const DefaultOpenGap = 10 * ProbeInterval

func (w Window) openGap() time.Duration {
	if w.OpenGap > 0 {
		return w.OpenGap
	}
	return DefaultOpenGap
}

// Measurement is what a drill measured from the events of a Window.
type Measurement struct {
	// NewMaster is the source of the first advert after the trigger that
	// is not OldMaster's; invalid when none came.
	NewMaster netip.Addr
	// LastOldAdvert is the old master's last advert before NewMaster's
	// first one (FirstNewAdvert).
	LastOldAdvert, FirstNewAdvert time.Time
	// Detection is FirstNewAdvert - LastOldAdvert: how long the segment
	// went without a master advertising.
	Detection time.Duration
	// TriggerToNewMaster is FirstNewAdvert - Trigger.
	TriggerToNewMaster time.Duration

	// Blackout is the longest gap between two consecutive echo replies
	// that ends after the trigger: last good reply to first good reply.
	// When no reply came after the trigger, it runs to the window's end
	// (or the last event) and RepliesResumed is false.
	Blackout                   time.Duration
	BlackoutStart, BlackoutEnd time.Time
	RepliesResumed             bool
	// EchoReplies counts the echo replies of the window after the trigger.
	EchoReplies int
	// ProbesUnsent counts the probe rounds the witness could not send
	// during the blackout: so much of it is the witness's own silence,
	// not only what a client lived through.
	ProbesUnsent int

	// VIPMAC is the MAC the VIP resolves to after the trigger: the last
	// ARP reply's sender, else (no ARP reply) the last echo reply's
	// Ethernet source. EchoMAC is the latter: a router may send its replies
	// from another MAC than the one it answers ARP with.
	VIPMAC, EchoMAC net.HardwareAddr
	// GARPs are the gratuitous ARPs for the VIP after the trigger.
	GARPs []Event

	// SplitBrain, for a partition, is how long two masters advertised at
	// once: NewMaster's first advert to its last one (the one before it
	// stepped down after the heal). SplitEnded says it did step down: the
	// old master advertised after that last advert, and NewMaster then
	// stayed silent for two of its intervals until the window's end.
	SplitBrain time.Duration
	SplitEnded bool
}

// Master returns the source of the last advert of vhid among events (in
// time order) at or before at (zero: any time), and whether there was one.
// Only a CARP master advertises, so this is the master the segment saw.
func Master(events []Event, vhid uint8, at time.Time) (netip.Addr, bool) {
	var m netip.Addr
	for _, e := range events {
		if !at.IsZero() && e.At.After(at) {
			break
		}
		if e.Kind == KindAdvert && e.VHID == vhid {
			m = e.Src
		}
	}
	return m, m.IsValid()
}

// Analyze computes a Measurement from events, which must be in time order.
func Analyze(events []Event, w Window) Measurement {
	var m Measurement
	if !w.End.IsZero() {
		i, _ := slices.BinarySearchFunc(events, w.End, func(e Event, t time.Time) int { return e.At.Compare(t) })
		for i < len(events) && !events[i].At.After(w.End) {
			i++
		}
		events = events[:i]
	}
	end := w.End
	if end.IsZero() && len(events) > 0 {
		end = events[len(events)-1].At
	}

	var lastOld time.Time
	var lastNew Event
	for _, e := range events {
		if e.Kind != KindAdvert || e.VHID != w.VHID {
			continue
		}
		switch {
		case e.Src == w.OldMaster:
			if !m.NewMaster.IsValid() {
				lastOld = e.At
			}
		case !m.NewMaster.IsValid() && e.At.After(w.Trigger):
			m.NewMaster, m.FirstNewAdvert = e.Src, e.At
			m.LastOldAdvert = lastOld
			lastNew = e
		case e.Src == m.NewMaster:
			lastNew = e
		}
	}
	if m.NewMaster.IsValid() {
		if !m.LastOldAdvert.IsZero() {
			m.Detection = m.FirstNewAdvert.Sub(m.LastOldAdvert)
		}
		m.TriggerToNewMaster = m.FirstNewAdvert.Sub(w.Trigger)
		if !w.Heal.IsZero() {
			m.SplitBrain = lastNew.At.Sub(m.FirstNewAdvert)
			quiet := 2 * interval(lastNew)
			m.SplitEnded = end.After(w.Heal) && lastOldAfter(events, w, lastNew.At) && end.Sub(lastNew.At) > quiet
		}
	}

	var prev time.Time
	var arpMAC net.HardwareAddr
	for _, e := range events {
		switch e.Kind {
		case KindEchoReply:
			if e.At.After(w.Trigger) {
				m.EchoReplies++
				m.EchoMAC = e.MAC
				if gap := e.At.Sub(prev); !prev.IsZero() && gap > m.Blackout {
					m.Blackout, m.BlackoutStart, m.BlackoutEnd = gap, prev, e.At
				}
				m.RepliesResumed = true
			}
			prev = e.At
		case KindARPReply:
			if e.At.After(w.Trigger) {
				arpMAC = e.MAC
			}
		case KindGARP:
			if e.At.After(w.Trigger) {
				m.GARPs = append(m.GARPs, e)
			}
		}
	}
	m.VIPMAC = arpMAC
	if m.VIPMAC == nil {
		m.VIPMAC = m.EchoMAC
	}
	// Replies that stopped and did not come back by the window's end: the
	// blackout is still open.
	if open := end.Sub(prev); !prev.IsZero() && (!m.RepliesResumed || open > m.Blackout && open > w.openGap()) {
		m.Blackout, m.BlackoutStart, m.BlackoutEnd = open, prev, time.Time{}
		m.RepliesResumed = false
	}
	if m.Blackout > 0 {
		m.ProbesUnsent = unsentWithin(events, m.BlackoutStart, m.BlackoutEnd)
	}
	return m
}

// unsentWithin counts the unsent probe rounds after from and up to to (to
// zero: to the end of events).
func unsentWithin(events []Event, from, to time.Time) int {
	n := 0
	for _, e := range events {
		if e.Kind == KindProbeUnsent && e.At.After(from) && (to.IsZero() || !e.At.After(to)) {
			n++
		}
	}
	return n
}

// lastOldAfter says whether the old master advertised after t.
func lastOldAfter(events []Event, w Window, t time.Time) bool {
	for _, e := range events {
		if e.Kind == KindAdvert && e.VHID == w.VHID && e.Src == w.OldMaster && e.At.After(t) {
			return true
		}
	}
	return false
}

// interval is an advert's sender's advertisement interval (demotion not
// counted, as carp.Advert.Interval).
func interval(e Event) time.Duration {
	return carp.Interval(e.AdvBase, int(e.AdvSkew))
}
