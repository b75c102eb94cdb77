package witness

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/carpvm/carpvm/internal/transition"
)

// The states a witness gives an advertiser, in transition lines: it hears
// only masters (a CARP or VRRP backup is silent), so an advertiser is
// MASTER while it advertises, BACKUP once another took over or it bowed
// out, and INIT once it fell silent with nobody else advertising.
const (
	stateMaster = "MASTER"
	stateBackup = "BACKUP"
	stateInit   = "INIT"
)

// Transitions returns the state changes observed up to now since the last
// call, in time order, as transition lines (architecture: Transition
// log): one per advertiser whose state changed, its router named by
// Options.Routers (else its address). A master silent for longer than its
// master-down interval (and minSilence) changes at that deadline, which now may pass
// without a frame: the live witness calls it every so often as well as
// after each frame. Lines are kept only when Options.Network is set; the
// first advertiser heard of a group is where the witness starts, not a
// change.
func (w *Witness) Transitions(now time.Time) []transition.Transition {
	w.expire(now)
	out := w.pending
	w.pending = nil
	slices.SortStableFunc(out, func(a, b transition.Transition) int { return a.Time.Compare(b.Time) })
	return out
}

// minSilence is the shortest gap that makes a master silent in
// transition lines, whatever its own master-down: below it a gap is the
// scheduler's, not the router's. A loaded lab showed gaps of 12-53 ms
// between the adverts of an advbase 0 master whose own master-down is
// 11.7 ms, while its backup (advskew 100) would wait 1.17 s.
const minSilence = time.Second

// silence is how long s may go unheard before its line says it fell
// silent.
func (s *source) silence() time.Duration { return max(s.last.down, minSilence) }

// recording says whether the witness keeps transition lines.
func (w *Witness) recording() bool { return w.opts.Network != "" }

// expire moves every master whose master-down deadline passed before now
// to BACKUP (another advertiser is master then) or INIT (none is), in
// deadline order, so that of two masters falling silent the first sees
// the second still advertising.
func (w *Witness) expire(now time.Time) {
	if !w.recording() {
		return
	}
	for _, g := range w.groups {
		for {
			var first *source
			for _, s := range g.advertisers {
				if s.state == stateMaster && now.Sub(s.lastAt) > s.silence() &&
					(first == nil || s.lastAt.Add(s.silence()).Before(first.lastAt.Add(first.silence()))) {
					first = s
				}
			}
			if first == nil {
				break
			}
			silent := first.silence()
			to, reason := stateInit, fmt.Sprintf("silent for longer than %s, and no other master heard", durationText(silent))
			if other := g.master(first); other != nil {
				to, reason = stateBackup, fmt.Sprintf("silent for longer than %s while %s advertises", durationText(silent), w.routerOf(other))
			}
			w.change(g, first, first.lastAt.Add(silent), to, reason)
		}
	}
}

// track updates s's state after its advert a at t, gap after its previous
// one; newRun says the advert starts a run (a new advertiser, or one after
// a silence or a bow-out), which replaces the group's other masters.
func (w *Witness) track(g *group, s *source, a advert, t time.Time, gap time.Duration, newRun bool) {
	if !w.recording() || g.key.id == 0 {
		return // id 0 is no group's (vhid and vrid are 1..255): no line can name it
	}
	first := !g.tracked
	g.tracked = true
	switch {
	case a.leaving && s.state == stateMaster:
		w.change(g, s, t, stateBackup, "bow-out advert")
	case a.leaving:
		s.state = cmp.Or(s.state, stateBackup)
	case s.state == stateMaster:
	case first:
		s.state = stateMaster // where the witness starts, not a change
	default:
		var reason string
		switch {
		case s.state == "":
			reason = "first advert heard from it"
		case s.state == stateInit:
			reason = fmt.Sprintf("advertising again after %s silent", durationText(gap))
		case !newRun:
			reason = "advertising again after another took over: two masters"
		default:
			reason = "advertising again"
		}
		w.change(g, s, t, stateMaster, reason)
	}
	if newRun && !a.leaving {
		for _, o := range g.advertisers {
			if o != s && o.state == stateMaster {
				w.change(g, o, t, stateBackup, "replaced by "+w.routerOf(s))
			}
		}
	}
}

// master is one advertiser of g other than s that is master, or nil.
func (g *group) master(s *source) *source {
	for _, o := range g.advertisers {
		if o != s && o.state == stateMaster {
			return o
		}
	}
	return nil
}

// change records s's change to state to at t.
func (w *Witness) change(g *group, s *source, t time.Time, to, reason string) {
	from := cmp.Or(s.state, stateBackup)
	s.state = to
	if note := g.key.note(); note != "" {
		reason += " (" + note + ")"
	}
	w.pending = append(w.pending, transition.Transition{Time: t, Router: w.routerOf(s), Network: w.opts.Network,
		VHID: int(g.key.id), From: from, To: to, Reason: reason, Demotion: int(s.last.carp.Demote)})
}

// note says what a group is when it is not the usual CARP over IPv4, as
// transition lines have no member for it.
func (k groupKey) note() string {
	switch {
	case k.proto == CARP && k.family == IPv4:
		return ""
	case k.proto == CARP:
		return "IPv6"
	case k.family == IPv4:
		return string(k.proto)
	}
	return string(k.proto) + ", IPv6"
}

// routerOf names s's router: carpvm.yaml's name for its address, else
// the address.
func (w *Witness) routerOf(s *source) string {
	if name, ok := w.opts.Routers[s.src]; ok {
		return name
	}
	return s.src.String()
}

// durationText is d to the millisecond, as people read it ("4.39s").
func durationText(d time.Duration) string { return d.Round(time.Millisecond).String() }
