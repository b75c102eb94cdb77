package witness

import (
	"bytes"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/capture"
)

// flapCapture crafts a capture from the ucarp vectors (two routers, one
// source MAC 00:00:5e:00:00:01): .11's and .12's adverts interleaved every
// half second, as two masters (or two NICs with one MAC) advertise at once.
// With handover true, .11 advertises alone, then .12 alone: one move.
func flapCapture(t *testing.T, handover bool) []byte {
	t.Helper()
	var a, b []carp.Frame
	for _, o := range captureFrames(t) {
		if o.f.Src == nodeA {
			a = append(a, o.f)
		} else {
			b = append(b, o.f)
		}
	}
	var pkts []capture.Packet
	add := func(at time.Time, f carp.Frame) {
		pkts = append(pkts, capture.Packet{At: at, Data: carp.AppendFrame(nil, f)})
	}
	for i := range min(len(a), len(b)) {
		at := t0.Add(time.Duration(i) * time.Second)
		if handover {
			add(at, a[i])
			continue
		}
		add(at, a[i])
		add(at.Add(500*time.Millisecond), b[i])
	}
	if handover {
		for i, f := range b {
			add(t0.Add(time.Duration(len(a)+i)*time.Second), f)
		}
	}
	return capture.AppendPcap(nil, pkts)
}

func observeCapture(t *testing.T, pcap []byte) (*Witness, time.Time) {
	t.Helper()
	pkts, err := capture.Parse(pcap)
	if err != nil {
		t.Fatal(err)
	}
	w := New(Options{})
	var end time.Time
	for _, p := range pkts {
		f, err := carp.ParseFrame(p.Data)
		if err != nil {
			t.Fatal(err)
		}
		w.Observe(p.At, f)
		end = p.At
	}
	return w, end
}

// flapFile is the crafted capture, kept for `carpvm watch --read` (its
// test and docs/commands.md); go test -update rewrites it.
const flapFile = "testdata/mac-flap.pcap"

func TestMACFlapFromCraftedCapture(t *testing.T) {
	pcap := flapCapture(t, false)
	if *update {
		if err := os.WriteFile(flapFile, pcap, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if kept, err := os.ReadFile(flapFile); err != nil || !bytes.Equal(kept, pcap) {
		t.Fatalf("%s is not the crafted capture (go test -update rewrites it): %v", flapFile, err)
	}
	w, end := observeCapture(t, pcap)
	s := w.Snapshot(end)
	var flap *Warning
	for i, warn := range s.Warnings {
		if warn.Code == WarnMACFlap {
			flap = &s.Warnings[i]
		}
	}
	if flap == nil {
		t.Fatalf("no %s warning; warnings %v", WarnMACFlap, codes(s.Warnings))
	}
	for _, want := range []string{"MAC 00:00:5e:00:00:01 moved between 172.27.27.11 and 172.27.27.12", "two ports"} {
		if !strings.Contains(flap.Message, want) {
			t.Errorf("warning %q lacks %q", flap.Message, want)
		}
	}
	if flap.Protocol != CARP || flap.ID != 1 {
		t.Errorf("warning names %s %d, want carp 1", flap.Protocol, flap.ID)
	}
	if len(s.MACFlaps) != 1 || s.MACFlaps[0].Moves < FlapMoves || s.MACFlaps[0].Family != IPv4 {
		t.Errorf("flaps = %+v; want one, IPv4, at least %d moves", s.MACFlaps, FlapMoves)
	}
}

// A handover moves the MAC once: no flap.
func TestMACHandoverIsNoFlap(t *testing.T) {
	w, end := observeCapture(t, flapCapture(t, true))
	s := w.Snapshot(end)
	for _, warn := range s.Warnings {
		if warn.Code == WarnMACFlap {
			t.Errorf("a handover reported as a flap: %s", warn.Message)
		}
	}
}

// A failover and its failback (X, Y, X) within the window are two moves:
// no flap; a third is.
func TestMACTrackerMoves(t *testing.T) {
	var m MACTracker
	mac := carp.VirtualMAC(1)
	seq := []netip.Addr{nodeA, nodeB, nodeA}
	for i, s := range seq {
		m.Observe(t0.Add(time.Duration(i)*time.Second), mac, s, CARP, 1)
	}
	if f := m.Flaps(); len(f) != 0 {
		t.Fatalf("failover and failback = %+v, want no flap", f)
	}
	m.Observe(t0.Add(3*time.Second), mac, nodeB, CARP, 1)
	f := m.Flaps()
	if len(f) != 1 || f[0].Moves != 3 || f[0].MAC != "00:00:5e:00:01:01" {
		t.Fatalf("flaps = %+v, want one of 3 moves", f)
	}
	// A failover whose failback races: the old master had not heard its
	// successor when its own timer sent one more advert (X, Y, X, Y, X
	// within a second at the failback) is still a failover and a failback.
	var race MACTracker
	failback := t0.Add(2 * time.Second)
	race.Observe(t0, mac, nodeA, CARP, 1)
	race.Observe(t0.Add(time.Second), mac, nodeB, CARP, 1)
	for i, d := range []time.Duration{0, 200 * time.Millisecond, 204 * time.Millisecond} {
		race.Observe(failback.Add(d), mac, seq[i%2], CARP, 1)
	}
	if f := race.Flaps(); len(f) != 0 {
		t.Errorf("a failback with one racing advert = %+v, want no flap", f)
	}
	// Moves further apart than the window do not add up.
	var slow MACTracker
	for i := range 6 {
		slow.Observe(t0.Add(time.Duration(i)*6*time.Second), mac, seq[i%2], CARP, 1)
	}
	if f := slow.Flaps(); len(f) != 0 {
		t.Errorf("moves 6 s apart = %+v, want no flap", f)
	}
	// A dual-stack master: one MAC, an IPv4 and an IPv6 sender, one port.
	var dual MACTracker
	v6 := netip.MustParseAddr("fe80::11")
	for i := range 6 {
		dual.Observe(t0.Add(time.Duration(i)*time.Second), mac, []netip.Addr{nodeA, v6}[i%2], CARP, 1)
	}
	if f := dual.Flaps(); len(f) != 0 {
		t.Errorf("dual-stack master = %+v, want no flap", f)
	}
}
