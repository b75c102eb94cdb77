package witness

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/internal/transition"
)

// line is the part of a transition line a test states.
type line struct {
	At       time.Duration // since t0
	Router   string
	From, To string
	Reason   string
}

func lines(ts []transition.Transition) []line {
	out := []line{}
	for _, t := range ts {
		out = append(out, line{t.Time.Sub(t0), t.Router, t.From, t.To, t.Reason})
	}
	return out
}

// frameAt is one advert of a scenario.
type frameAt struct {
	at  time.Duration
	src netip.Addr
	adv uint8 // advskew; 255 with advbase 255 is a bow-out
}

// scenario builds the adverts of src every interval in [from, to).
func scenario(src netip.Addr, advskew uint8, from, to time.Duration) []frameAt {
	var fs []frameAt
	iv := time.Second + time.Duration(advskew)*time.Second/256
	for at := from; at < to; at += iv {
		fs = append(fs, frameAt{at, src, advskew})
	}
	return fs
}

// play feeds the frames in time order; every says how often Transitions
// is called between frames (0: only at the end), for lines that must not
// depend on it.
func play(t *testing.T, opts Options, frames []frameAt, end, every time.Duration) []transition.Transition {
	t.Helper()
	k := key(t, "pass")
	w := New(opts)
	var got []transition.Transition
	next := every
	for i, f := range frames {
		if i > 0 && f.at < frames[i-1].at {
			t.Fatalf("frame %d at %v before the previous one", i, f.at)
		}
		for every > 0 && next < f.at {
			got = append(got, w.Transitions(t0.Add(next))...)
			next += every
		}
		fr := carpFrame(k, 1, f.src, 1, f.adv, uint64(i+1))
		if f.adv == carp255 {
			fr = carpFrame(k, 1, f.src, carp255, carp255, uint64(i+1))
		}
		w.Observe(t0.Add(f.at), fr)
	}
	return append(got, w.Transitions(t0.Add(end))...)
}

const carp255 = 255

func merge(parts ...[]frameAt) []frameAt {
	var out []frameAt
	for _, p := range parts {
		out = append(out, p...)
	}
	// insertion sort: the scenarios are short
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].at < out[j-1].at; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

var routers = map[netip.Addr]string{nodeA: "router-001", nodeB: "router-002"}

// TestTransitionsOfAStun: the master (advskew 0) stops advertising for 6 s
// (a snapshot's stun), the backup (advskew 100) takes over at its
// master-down (3.39 s), and the master, thawed, takes the group back. The
// lines are the same whether Transitions is called every 100 ms or only
// at the end.
func TestTransitionsOfAStun(t *testing.T) {
	frames := merge(
		scenario(nodeA, 0, 0, 10*time.Second),                                        // last advert at 9 s
		scenario(nodeB, 100, 9*time.Second+3390625*time.Microsecond, 15*time.Second), // 12.39 s, 13.78 s
		scenario(nodeA, 0, 15*time.Second, 18*time.Second),
	)
	want := []line{
		{12 * time.Second, "router-001", "MASTER", "INIT", "silent for longer than 3s, and no other master heard"},
		{12390625 * time.Microsecond, "router-002", "BACKUP", "MASTER", "first advert heard from it"},
		{15 * time.Second, "router-001", "INIT", "MASTER", "advertising again after 6s silent"},
		{15 * time.Second, "router-002", "MASTER", "BACKUP", "replaced by router-001"},
	}
	for _, every := range []time.Duration{0, 100 * time.Millisecond, 5 * time.Second} {
		got := play(t, Options{Network: "intranought", Routers: routers}, frames, 18*time.Second, every)
		if diff := cmp.Diff(want, lines(got)); diff != "" {
			t.Errorf("Transitions every %v (-want +got):\n%s", every, diff)
		}
		for _, l := range got {
			if l.Network != "intranought" || l.VHID != 1 || l.Validate() != nil {
				t.Errorf("line %+v: want network intranought, vhid 1, valid (%v)", l, l.Validate())
			}
		}
	}
}

func TestTransitionsBowOutAndSilence(t *testing.T) {
	opts := Options{Network: "intranought", Routers: routers}
	// A bows out (a clean shutdown); B takes over half a second later.
	got := play(t, opts, merge(scenario(nodeA, 0, 0, 5*time.Second), []frameAt{{5 * time.Second, nodeA, carp255}},
		scenario(nodeB, 100, 5500*time.Millisecond, 8*time.Second)), 8*time.Second, 0)
	want := []line{
		{5 * time.Second, "router-001", "MASTER", "BACKUP", "bow-out advert"},
		{5500 * time.Millisecond, "router-002", "BACKUP", "MASTER", "first advert heard from it"},
	}
	if diff := cmp.Diff(want, lines(got)); diff != "" {
		t.Errorf("bow-out (-want +got):\n%s", diff)
	}

	// A second master starts: at its first advert A looks replaced (as
	// in a handover, and as the table's role says), until A's next advert
	// shows two masters. The second falls silent while A goes on: it is
	// BACKUP, not INIT. An address of no router is named by itself.
	stranger := netip.MustParseAddr("172.27.27.13")
	got = play(t, opts, merge(scenario(nodeA, 0, 0, 10*time.Second), scenario(stranger, 100, 2*time.Second, 4*time.Second)), 10*time.Second, 0)
	want = []line{
		{2 * time.Second, "172.27.27.13", "BACKUP", "MASTER", "first advert heard from it"},
		{2 * time.Second, "router-001", "MASTER", "BACKUP", "replaced by 172.27.27.13"},
		{3 * time.Second, "router-001", "BACKUP", "MASTER", "advertising again after another took over: two masters"},
		{3390625*time.Microsecond + 3390625*time.Microsecond, "172.27.27.13", "MASTER", "BACKUP", "silent for longer than 3.391s while router-001 advertises"},
	}
	if diff := cmp.Diff(want, lines(got)); diff != "" {
		t.Errorf("split brain healed (-want +got):\n%s", diff)
	}

	// Without a network the witness keeps no lines.
	if got := play(t, Options{Routers: routers}, scenario(nodeA, 0, 0, 3*time.Second), 20*time.Second, 0); len(got) != 0 {
		t.Errorf("no Network: %d lines, want none", len(got))
	}
}

// An advbase 0 master (master-down 11.7 ms) heard 20-50 ms apart, as a
// loaded host schedules it, does not flap in transition lines: a silence
// is at least minSilence. Half a minute without it is one.
func TestTransitionsIgnoreSchedulingJitter(t *testing.T) {
	k := key(t, "pass")
	w := New(Options{Network: "intranought", Routers: routers})
	at := time.Duration(0)
	for i := range 100 {
		at += time.Duration(20+i%4*10) * time.Millisecond
		w.Observe(t0.Add(at), carpFrame(k, 1, nodeA, 0, 0, uint64(i+1)))
	}
	if got := w.Transitions(t0.Add(at + 500*time.Millisecond)); len(got) != 0 {
		t.Errorf("jitter: %d lines, want none: %+v", len(got), lines(got))
	}
	got := w.Transitions(t0.Add(at + 30*time.Second))
	want := []line{{at + minSilence, "router-001", "MASTER", "INIT", "silent for longer than 1s, and no other master heard"}}
	if diff := cmp.Diff(want, lines(got)); diff != "" {
		t.Errorf("silence (-want +got):\n%s", diff)
	}
}
