package carp

import (
	"net/netip"
	"time"
)

// Replay memory bounds. Only authentic adverts (HMAC verified) reach the
// guard, and a source is only added for a counter never seen before, so a
// flood of replays from spoofed sources cannot grow or churn it; all of it
// is fixed-size arrays.
const (
	replayWindow  = 256  // individual counters remembered (random-counter peers)
	replaySources = 16   // sources tracked
	replayRanges  = 32   // counter ranges of past sequential streams
	replayMaxGap  = 1024 // adverts a sequential peer may skip (lost) and still be growing
)

// counterRange is [first, last] in modular uint64 arithmetic.
type counterRange struct{ first, last uint64 }

func (r counterRange) has(c uint64) bool { return c-r.first <= r.last-r.first }

// stream is what the guard knows of one source.
type stream struct {
	src netip.Addr
	cur counterRange
	// sequential: the counter was seen to step by one (FreeBSD/OpenBSD);
	// from then on it must grow. ucarp sends a random counter every time.
	sequential bool
	// candidate is a non-growing counter from a sequential source that was
	// never seen before: if the next one is candidate+1, the peer restarted
	// with a new random counter and its new stream is accepted.
	candidate    uint64
	hasCandidate bool
	used         uint64 // guard clock at the last accept, for eviction
	// heard is when the last counter from this source was accepted; a
	// counter going back is accepted at once after a silence (see accept).
	heard time.Time
}

// replayGuard rejects authentic adverts seen before. CARP has no replay
// protection on the wire (FreeBSD: "XXX Replay protection goes here"), and
// peers differ: FreeBSD and OpenBSD increment the counter by one per advert,
// ucarp sends a fresh random one. So the guard
//
//   - rejects any counter it has accepted before, from any source (the
//     source address is not covered by the HMAC): the last replayWindow
//     counters individually, and sequential streams as ranges;
//   - demands growth only from a source seen to step by one;
//   - keeps all of it after a source falls silent, so that the adverts of a
//     dead master, replayed, never count as a live master;
//   - takes a counter from a sequential source that goes back (a restart:
//     FreeBSD starts from a new random counter) as that source's new stream
//     at once, but only when it was never seen before and the source was
//     silent for at least master-down, and once per silence (the new stream
//     must then grow); otherwise only after two consecutive fresh counters.
//     docs/architecture.md ("Counter resets") gives the threat analysis.
//
// A random-counter peer's adverts older than the window cannot be told from
// fresh ones: that is the protocol's limit, not the guard's.
type replayGuard struct {
	seen    [replayWindow]uint64
	nseen   int
	next    int
	ranges  [replayRanges]counterRange
	nranges int
	nextRng int
	streams [replaySources]stream
	nstream int
	clock   uint64
}

// known reports whether counter c was accepted before, from any source.
func (g *replayGuard) known(c uint64) bool {
	for _, s := range g.seen[:g.nseen] {
		if s == c {
			return true
		}
	}
	for _, r := range g.ranges[:g.nranges] {
		if r.has(c) {
			return true
		}
	}
	for i := range g.streams[:g.nstream] {
		if s := &g.streams[i]; s.sequential && s.cur.has(c) {
			return true
		}
	}
	return false
}

func (g *replayGuard) remember(c uint64) {
	g.seen[g.next] = c
	g.next = (g.next + 1) % replayWindow
	if g.nseen < replayWindow {
		g.nseen++
	}
}

func (g *replayGuard) archive(r counterRange) {
	g.ranges[g.nextRng] = r
	g.nextRng = (g.nextRng + 1) % replayRanges
	if g.nranges < replayRanges {
		g.nranges++
	}
}

func (g *replayGuard) find(src netip.Addr) *stream {
	for i := range g.streams[:g.nstream] {
		if g.streams[i].src == src {
			return &g.streams[i]
		}
	}
	return nil
}

// add returns a fresh stream for src, evicting the least recently used one
// when full (its range is archived, so its counters stay known).
func (g *replayGuard) add(src netip.Addr) *stream {
	i := g.nstream
	if g.nstream < replaySources {
		g.nstream++
	} else {
		i = 0
		for j := range g.streams {
			if g.streams[j].used < g.streams[i].used {
				i = j
			}
		}
		if old := g.streams[i]; old.sequential {
			g.archive(old.cur)
		}
	}
	g.streams[i] = stream{src: src}
	return &g.streams[i]
}

// accept records counter c from src, received at now, and reports whether
// it is fresh; silence is how long src must have been quiet for a counter
// that goes back to start its new stream at once (master-down).
func (g *replayGuard) accept(src netip.Addr, c uint64, now time.Time, silence time.Duration) bool {
	g.clock++
	s := g.find(src)
	if s != nil && s.sequential {
		if d := c - s.cur.last; d >= 1 && d <= replayMaxGap && !g.known(c) {
			s.cur.last = c
			s.hasCandidate = false
			s.used, s.heard = g.clock, now
			return true
		}
		if g.known(c) {
			return false
		}
		switch {
		case now.Sub(s.heard) >= silence:
			// Silent for master-down, then a counter never seen: the peer
			// restarted; its first advert counts, as a backup needs it to.
			g.archive(s.cur)
			s.cur = counterRange{c, c}
		case s.hasCandidate && c == s.candidate+1:
			// Two fresh consecutive counters: the peer restarted.
			g.archive(s.cur)
			s.cur = counterRange{s.candidate, c}
		default:
			s.candidate, s.hasCandidate = c, true
			return false
		}
		s.hasCandidate = false
		s.used, s.heard = g.clock, now
		return true
	}
	if g.known(c) {
		return false
	}
	if s == nil {
		s = g.add(src)
		s.cur = counterRange{c, c}
	} else if c == s.cur.last+1 {
		s.cur.last = c
		s.sequential = true
	} else {
		s.cur = counterRange{c, c}
	}
	if !s.sequential {
		g.remember(c)
	}
	s.used, s.heard = g.clock, now
	return true
}
