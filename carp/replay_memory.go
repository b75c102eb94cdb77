package carp

import (
	"fmt"
	"net/netip"
)

// ReplayMemory is what a Machine's replay guard knows, in a form that can
// be kept across a restart (a restarted node that forgot it would take a
// dead master's replayed adverts for a live master).
type ReplayMemory struct {
	// Counters are the individually remembered counters, oldest first.
	Counters []uint64 `json:"counters,omitempty"`
	// Ranges are the counter ranges of past sequential streams, oldest
	// first.
	Ranges []CounterRange `json:"ranges,omitempty"`
	// Sources are the tracked sources, least recently used first.
	Sources []ReplaySource `json:"sources,omitempty"`
}

// CounterRange is [First, Last] in modular uint64 arithmetic.
type CounterRange struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

// ReplaySource is one tracked source and its current counter range.
type ReplaySource struct {
	Src        netip.Addr   `json:"src"`
	Current    CounterRange `json:"current"`
	Sequential bool         `json:"sequential"`
}

// ReplayMemory returns what the replay guard knows.
func (m *Machine) ReplayMemory() ReplayMemory { return m.replay.memory() }

// RestoreReplayMemory replaces the replay guard's memory with mem (saved
// by ReplayMemory, possibly by an earlier run): every counter it knew stays
// refused. The sources' streams are not resumed but archived as ranges, so
// that a peer which restarted meanwhile (a new random counter) is accepted
// at once, as by a guard that never saw it: both routers starting together
// must not take each other's first adverts for replays. Beyond the guard's
// bounds the oldest ranges are dropped. A source without an address is
// refused.
func (m *Machine) RestoreReplayMemory(mem ReplayMemory) error {
	var g replayGuard
	if err := g.restore(mem); err != nil {
		return err
	}
	m.replay = g
	return nil
}

func (g *replayGuard) memory() ReplayMemory {
	var mem ReplayMemory
	// The rings' oldest entry is at next once they are full.
	for i := range g.nseen {
		mem.Counters = append(mem.Counters, g.seen[(g.next-g.nseen+i+replayWindow)%replayWindow])
	}
	for i := range g.nranges {
		r := g.ranges[(g.nextRng-g.nranges+i+replayRanges)%replayRanges]
		mem.Ranges = append(mem.Ranges, CounterRange{First: r.first, Last: r.last})
	}
	order := make([]int, g.nstream)
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ { // insertion sort by last use: at most replaySources
		for j := i; j > 0 && g.streams[order[j]].used < g.streams[order[j-1]].used; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, i := range order {
		s := g.streams[i]
		mem.Sources = append(mem.Sources, ReplaySource{Src: s.src, Current: CounterRange{First: s.cur.first, Last: s.cur.last}, Sequential: s.sequential})
	}
	return mem
}

func (g *replayGuard) restore(mem ReplayMemory) error {
	if len(mem.Counters) > replayWindow {
		return fmt.Errorf("%w: replay memory has %d counters; at most %d are kept", ErrConfig, len(mem.Counters), replayWindow)
	}
	for i, s := range mem.Sources {
		if !s.Src.IsValid() {
			return fmt.Errorf("%w: replay memory source %d has no address", ErrConfig, i)
		}
	}
	for _, c := range mem.Counters {
		g.remember(c)
	}
	for _, r := range mem.Ranges {
		g.archive(counterRange{first: r.First, last: r.Last})
	}
	for _, s := range mem.Sources {
		if s.Sequential {
			g.archive(counterRange{first: s.Current.First, last: s.Current.Last})
		}
	}
	return nil
}
