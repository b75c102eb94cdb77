package carp

import (
	"net/netip"
	"testing"
)

// A guard restored from another's memory rejects every counter the first
// accepted, from any source, and accepts a restarted peer's fresh counter
// at once.
func TestReplayMemoryRestore(t *testing.T) {
	var g replayGuard
	seq := netip.MustParseAddr("10.0.0.1")
	rnd := netip.MustParseAddr("10.0.0.2")
	for c := uint64(100); c < 110; c++ {
		if !g.accept(seq, c, t0, sec) {
			t.Fatalf("fresh counter %d refused", c)
		}
	}
	for _, c := range []uint64{77, 9001, 31337} {
		if !g.accept(rnd, c, t0, sec) {
			t.Fatalf("fresh random counter %d refused", c)
		}
	}
	var h replayGuard
	if err := h.restore(g.memory()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []uint64{100, 105, 109, 77, 9001, 31337} {
		for _, src := range []netip.Addr{seq, rnd} {
			if h.accept(src, c, t0, sec) {
				t.Errorf("restored guard accepted counter %d from %s again", c, src)
			}
		}
	}
	if !h.accept(seq, 1<<40, t0, sec) || !h.accept(seq, 1<<40+1, t0, sec) {
		t.Errorf("restored guard refused a restarted peer's fresh counters")
	}
}

func TestReplayMemoryRefusesBadInput(t *testing.T) {
	var g replayGuard
	if err := g.restore(ReplayMemory{Counters: make([]uint64, replayWindow+1)}); err == nil {
		t.Error("an oversize memory was accepted")
	}
	if err := g.restore(ReplayMemory{Sources: []ReplaySource{{}}}); err == nil {
		t.Error("a source without an address was accepted")
	}
}

// More ranges than the guard keeps: the newest stay known.
func TestReplayMemoryKeepsTheNewestRanges(t *testing.T) {
	var mem ReplayMemory
	for i := range uint64(replayRanges + 5) {
		mem.Ranges = append(mem.Ranges, CounterRange{First: i * 1000, Last: i*1000 + 10})
	}
	var g replayGuard
	if err := g.restore(mem); err != nil {
		t.Fatal(err)
	}
	if !g.known(uint64(replayRanges+4)*1000 + 5) {
		t.Error("the newest range was dropped")
	}
	if g.known(5) {
		t.Error("the oldest range was kept beyond the bound")
	}
}
