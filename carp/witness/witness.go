package witness

import (
	"bytes"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/transition"
)

// MaxAdvertisers bounds the advertisers kept per group, so that a flood
// from spoofed sources cannot grow the witness without limit; the least
// recently heard one is forgotten first.
const MaxAdvertisers = 32

// ewmaWeight is the weight of a new gap in the observed interval.
const ewmaWeight = 0.25

// Options configure a Witness.
type Options struct {
	// Key verifies CARP HMACs; nil means they are reported "unverified".
	Key *carp.Key
	// VIPs are the virtual addresses of each vhid, needed to verify its
	// HMAC (they are not on the wire). A vhid without VIPs is "unverified".
	VIPs map[uint8][]netip.Addr
	// Expected are the planned CARP groups, for the ownership map (none:
	// no map); Routers names the routers by the addresses they advertise
	// from.
	Expected []Expected
	Routers  map[netip.Addr]string
	// Network names the segment in transition lines (carpvm.yaml's
	// network); the witness keeps them (Transitions) only when it is set.
	Network string
}

// Witness keeps what it observed of every group on a segment. It is not
// safe for concurrent use.
type Witness struct {
	opts      Options
	groups    map[groupKey]*group
	frames    uint64
	malformed uint64
	unknown   uint64
	macs      MACTracker
	// pending are the transition lines not yet taken (Transitions).
	pending []transition.Transition
}

// groupKey names a group. IPv4 and IPv6 adverts of one vhid are two
// groups, as FreeBSD runs them (one master-down timer per family): a
// dual-stack master advertises in both from two source addresses, which
// must not read as two masters.
type groupKey struct {
	proto  Protocol
	id     uint8
	family Family
}

type group struct {
	key         groupKey
	advertisers map[netip.Addr]*source
	// tracked says the witness has heard the group already: its first
	// advertiser's state is where the witness starts, not a change.
	tracked bool
}

// source is one advertiser of a group.
type source struct {
	src       netip.Addr
	mac       net.HardwareAddr
	last      advert
	ttl       uint8
	auth      Auth
	authFails uint64
	adverts   uint64
	first     time.Time
	lastAt    time.Time
	runStart  time.Time // first advert after a silence longer than master-down
	gap       time.Duration
	ewma      time.Duration
	// intervalChange records the last change of the advertised interval.
	changedAt              time.Time
	changedFrom, changedTo time.Duration
	// lastPayload is the last advert's bytes; copies of it arriving again
	// are counted in duplicates, not as adverts.
	lastPayload []byte
	duplicates  uint64
	// state is the advertiser's state in transition lines (MASTER,
	// BACKUP, INIT); empty before it was tracked.
	state string
}

// Auth is the result of HMAC verification of an advertiser's last advert.
type Auth string

// Authentication results. VRRP has no HMAC: "n/a".
const (
	AuthOK         Auth = "ok"
	AuthFailed     Auth = "failed"
	AuthUnverified Auth = "unverified"
	AuthNone       Auth = "n/a"
)

// New returns an empty witness.
func New(opts Options) *Witness {
	return &Witness{opts: opts, groups: map[groupKey]*group{}}
}

// Observe records a protocol-112 frame seen at t. Frames that decode as
// neither CARP nor VRRP, or fail their checksum, are only counted.
func (w *Witness) Observe(t time.Time, f carp.Frame) {
	w.frames++
	a, err := decode(f)
	if err == errUnknown {
		w.unknown++
		return
	}
	if err != nil {
		w.malformed++
		return
	}
	fam := IPv4
	if f.IsIPv6() {
		fam = IPv6
	}
	w.expire(t)
	w.macs.Observe(t, f.SrcMAC, f.Src, a.proto, a.id)
	k := groupKey{a.proto, a.id, fam}
	g := w.groups[k]
	if g == nil {
		g = &group{key: k, advertisers: map[netip.Addr]*source{}}
		w.groups[k] = g
	}
	s := g.advertisers[f.Src]
	newRun := s == nil
	var gap time.Duration
	if s == nil {
		if len(g.advertisers) >= MaxAdvertisers {
			g.evictOldest()
		}
		s = &source{src: f.Src, first: t, runStart: t}
		g.advertisers[f.Src] = s
	} else {
		gap = t.Sub(s.lastAt)
		if s.duplicate(a, f.Payload, gap) {
			s.duplicates++
			return
		}
		switch {
		case s.last.leaving || gap > s.last.down:
			s.runStart = t // a new run: the gap is a silence, not an interval
			newRun = true
		case gap >= 0:
			s.gap = gap
			if s.ewma == 0 {
				s.ewma = gap
			} else {
				s.ewma += time.Duration(ewmaWeight * float64(gap-s.ewma))
			}
		}
		if a.interval != s.last.interval && !a.leaving && !s.last.leaving {
			s.changedAt, s.changedFrom, s.changedTo = t, s.last.interval, a.interval
			s.ewma = 0
		}
	}
	s.mac = slices.Clone(f.SrcMAC)
	s.ttl = f.TTL
	s.lastPayload = append(s.lastPayload[:0], f.Payload...)
	s.last = a
	s.lastAt = t
	s.adverts++
	s.auth = w.verify(a)
	if s.auth == AuthFailed {
		s.authFails++
	}
	w.track(g, s, a, t, gap, newRun)
}

// duplicate says whether payload, arriving gap after s's last advert, is a
// second copy of that advert rather than a new one: the network delivered
// the frame twice (a teamed vSwitch reflecting multicast to its sender, a
// loop). A CARP advert carries a fresh counter and HMAC, so the same bytes
// within master-down are a copy; VRRP repeats its bytes every interval, so
// only a copy well within one interval counts.
func (s *source) duplicate(a advert, payload []byte, gap time.Duration) bool {
	if gap < 0 || !bytes.Equal(payload, s.lastPayload) {
		return false
	}
	if a.proto == CARP {
		return gap <= a.down
	}
	return gap < a.interval/4
}

func (w *Witness) verify(a advert) Auth {
	if a.proto != CARP {
		return AuthNone
	}
	vips := w.opts.VIPs[a.id]
	if w.opts.Key == nil || len(vips) == 0 {
		return AuthUnverified
	}
	if w.opts.Key.Sum(a.id, vips, a.carp.Counter) == a.carp.HMAC {
		return AuthOK
	}
	return AuthFailed
}

func (g *group) evictOldest() {
	var oldest *source
	for _, s := range g.advertisers {
		if oldest == nil || s.lastAt.Before(oldest.lastAt) {
			oldest = s
		}
	}
	delete(g.advertisers, oldest.src)
}
