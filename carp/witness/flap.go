package witness

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"
)

// A switch learns a source MAC on the port its frames come from; when one
// MAC keeps coming from two ports it moves the entry back and forth (a
// "MAC flap") and delivers the MAC's frames to one port at a time. A
// witness on a shared segment sees no ports, so it takes a MAC's sender
// address as its port: one host advertises from one address per family,
// so adverts from one MAC and alternately two addresses of one family come
// from two hosts, and so from two ports. That is two CARP masters with the
// virtual MAC (a split brain), or two NICs that carry one MAC (OVH's
// virtual MAC on both routers) advertising. A single handover (X then Y)
// or a handover and its failback (X, Y, X) is not a flap: FlapMoves moves
// within FlapWindow are.
//
// A handover may race: the old master's timer sends one more advert before
// it hears its successor (X, Y, X, Y within milliseconds). A CARP master
// advertises at most once a second (advbase 1 is FreeBSD's least), so moves
// less than FlapSettle after the last one counted are that race, part of
// the same handover, and are not counted again; two masters advertising
// for good still move the MAC every second or so, and are counted.
const (
	FlapWindow = 10 * time.Second
	FlapMoves  = 3
	FlapSettle = time.Second
)

// maxTrackedMACs bounds the MACs followed, so that spoofed sources cannot
// grow the tracker without limit; the least recently heard is forgotten.
const maxTrackedMACs = 256

// Flap is one MAC seen flapping between two senders.
type Flap struct {
	MAC     string       `json:"mac"`
	Family  Family       `json:"family"`
	Between []netip.Addr `json:"between"`
	// Moves is the most moves counted within FlapWindow (FlapSettle
	// apart); Total every move of the MAC between senders since it was
	// first seen.
	Moves int    `json:"moves"`
	Total uint64 `json:"total_moves"`
	// Protocol and ID are the group of the adverts that flapped last.
	Protocol Protocol  `json:"protocol"`
	ID       uint8     `json:"id"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// Message says what a flap means, for warnings and drill reports.
func (f Flap) Message() string {
	return fmt.Sprintf("MAC %s moved between %s and %s %d times within %s, at least %s apart (%d moves in all, last at %s): "+
		"the switch sees it on two ports and sends its frames to one of them at a time "+
		"(two masters with the virtual MAC, or two NICs sharing one MAC such as OVH's virtual MAC)",
		f.MAC, f.Between[0], f.Between[1], f.Moves, FlapWindow, FlapSettle, f.Total, f.Last.Format(time.RFC3339))
}

// MACTracker follows which sender each source MAC comes from and finds
// flaps. The witness feeds it every advert; a drill feeds it the adverts it
// recorded. It is not safe for concurrent use.
type MACTracker struct {
	macs map[macKey]*macTrack
}

type macKey struct {
	mac    [6]byte
	family Family
}

type macTrack struct {
	sender, previous netip.Addr
	moves            []time.Time // counted (FlapSettle apart), within FlapWindow of the last one
	total            uint64      // every move, counted or not
	lastAt           time.Time
	flap             *Flap
}

// Observe records that mac sent an advert of group (proto, id) from sender
// at t.
func (m *MACTracker) Observe(t time.Time, mac net.HardwareAddr, sender netip.Addr, proto Protocol, id uint8) {
	if len(mac) != 6 || !sender.IsValid() {
		return
	}
	if m.macs == nil {
		m.macs = map[macKey]*macTrack{}
	}
	fam := IPv4
	if sender.Is6() && !sender.Is4In6() {
		fam = IPv6
	}
	k := macKey{[6]byte(mac), fam}
	tr := m.macs[k]
	if tr == nil {
		if len(m.macs) >= maxTrackedMACs {
			m.evictOldest()
		}
		tr = &macTrack{sender: sender}
		m.macs[k] = tr
	}
	tr.lastAt = t
	if sender == tr.sender {
		return
	}
	tr.previous, tr.sender = tr.sender, sender
	tr.total++
	if n := len(tr.moves); n == 0 || t.Sub(tr.moves[n-1]) >= FlapSettle {
		tr.moves = append(tr.moves, t)
	}
	i := 0
	for i < len(tr.moves) && t.Sub(tr.moves[i]) > FlapWindow {
		i++
	}
	tr.moves = tr.moves[i:]
	if tr.flap == nil && len(tr.moves) < FlapMoves {
		return
	}
	if tr.flap == nil {
		tr.flap = &Flap{MAC: net.HardwareAddr(k.mac[:]).String(), Family: fam, First: t}
	}
	f := tr.flap
	f.Between = []netip.Addr{tr.previous, tr.sender}
	slices.SortFunc(f.Between, netip.Addr.Compare)
	f.Moves = max(f.Moves, len(tr.moves))
	f.Total = tr.total
	f.Protocol, f.ID, f.Last = proto, id, t
}

// Flaps returns every MAC that flapped, sorted by MAC and family.
func (m *MACTracker) Flaps() []Flap {
	out := []Flap{}
	for _, tr := range m.macs {
		if tr.flap != nil {
			f := *tr.flap
			f.Between = slices.Clone(f.Between)
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b Flap) int {
		return cmp.Or(cmp.Compare(a.MAC, b.MAC), cmp.Compare(familyOrder[a.Family], familyOrder[b.Family]))
	})
	return out
}

func (m *MACTracker) evictOldest() {
	var oldest macKey
	var at time.Time
	first := true
	for k, tr := range m.macs {
		if first || tr.lastAt.Before(at) {
			oldest, at, first = k, tr.lastAt, false
		}
	}
	delete(m.macs, oldest)
}
