package carp

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A guard restored from another's memory rejects what the first accepted,
// and accepts what comes next from a sequential source.
func TestReplayMemoryRoundTrip(t *testing.T) {
	var g replayGuard
	seq := netip.MustParseAddr("10.0.0.1")
	rnd := netip.MustParseAddr("10.0.0.2")
	for c := uint64(100); c < 110; c++ {
		if !g.accept(seq, c) {
			t.Fatalf("fresh counter %d refused", c)
		}
	}
	for _, c := range []uint64{77, 9001, 31337} {
		if !g.accept(rnd, c) {
			t.Fatalf("fresh random counter %d refused", c)
		}
	}
	mem := g.memory()
	var h replayGuard
	if err := h.restore(mem); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mem, h.memory(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("memory changed by a round trip (-saved +restored):\n%s", diff)
	}
	for _, c := range []uint64{100, 105, 109, 77, 9001, 31337} {
		if h.accept(rnd, c) {
			t.Errorf("restored guard accepted counter %d again", c)
		}
	}
	if !h.accept(seq, 110) {
		t.Errorf("restored guard refused the sequential source's next counter")
	}
}

func TestReplayMemoryRefusesOversize(t *testing.T) {
	var g replayGuard
	if err := g.restore(ReplayMemory{Counters: make([]uint64, replayWindow+1)}); err == nil {
		t.Error("an oversize memory was accepted")
	}
	if err := g.restore(ReplayMemory{Sources: []ReplaySource{{}}}); err == nil {
		t.Error("a source without an address was accepted")
	}
}
