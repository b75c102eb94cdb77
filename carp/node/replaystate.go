package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/atomicfile"
)

// DefaultReplayFlushInterval is how often a group's replay memory is
// written when it changed: at most this much of it is lost to a crash.
const DefaultReplayFlushInterval = time.Second

// replayFile is a group's replay memory as kept on disk, with the group's
// own advert counter.
type replayFile struct {
	Interface string            `json:"interface"`
	VHID      uint8             `json:"vhid"`
	Replay    carp.ReplayMemory `json:"replay"`
	// TxCounter is where the group's next run starts counting its adverts:
	// above every counter this run sent (0: none kept, start at random).
	TxCounter uint64 `json:"tx_counter,omitempty"`
}

// loadReplay reads the file of g from path; a missing file is an empty
// memory.
func loadReplay(path string, g Group) (replayFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return replayFile{}, nil
	}
	if err != nil {
		return replayFile{}, fmt.Errorf("node: replay memory: %w", err)
	}
	var f replayFile
	if err := json.Unmarshal(b, &f); err != nil {
		return replayFile{}, fmt.Errorf("node: replay memory %s: %w", path, err)
	}
	if f.Interface != g.Interface || f.VHID != g.VHID {
		return replayFile{}, fmt.Errorf("node: replay memory %s is of vhid %d on %q; want vhid %d on %q", path, f.VHID, f.Interface, g.VHID, g.Interface)
	}
	return f, nil
}

// saveReplay writes the replay memory of g and its next advert counter to
// path (0600, torn-proof).
func saveReplay(path string, g Group, mem carp.ReplayMemory, txCounter uint64) error {
	b, err := json.Marshal(replayFile{Interface: g.Interface, VHID: g.VHID, Replay: mem, TxCounter: txCounter})
	if err != nil {
		return fmt.Errorf("node: replay memory: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("node: replay memory directory: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("node: replay memory: %w", err)
	}
	return nil
}

// counterReserve is how far ahead of the adverts sent a group's file keeps
// its counter: a restart, even after a crash, continues above every counter
// sent, at most this many above the last, well inside what a peer's replay
// guard takes for a sequential peer's growth (it accepts the restarted
// node's first advert, and a preferred router preempts with it).
const counterReserve = 256

// loadReplay reads the group's replay memory and next advert counter from
// its file (0: none kept). A file that cannot be used is logged and the
// group starts with an empty memory and a random counter: the node must run
// (a backup that refused to start would be the outage), and the memory is
// rebuilt from the adverts it sees.
func (g *group) loadReplay() (carp.ReplayMemory, uint64) {
	if g.replayPath == "" {
		return carp.ReplayMemory{}, 0
	}
	f, err := loadReplay(g.replayPath, g.cfg)
	if err != nil {
		g.log.Warn("replay memory not restored; starting without it", "file", g.replayPath, "err", err)
		return carp.ReplayMemory{}, 0
	}
	return f.Replay, f.TxCounter
}

// restoreReplay gives the machine the memory loadReplay read, then writes
// the file with the counters this run may use reserved, before any advert.
func (g *group) restoreReplay(mem carp.ReplayMemory) {
	if g.replayPath == "" {
		return
	}
	if err := g.m.RestoreReplayMemory(mem); err != nil {
		g.log.Warn("replay memory not restored; starting without it", "file", g.replayPath, "err", err)
	} else if n := len(mem.Sources); n > 0 {
		g.log.Info("replay memory restored", "file", g.replayPath, "sources", n)
	}
	g.reserve(g.m.Counter())
}

// reserve is called before an advert with counter next is sent: when next
// nears the reservation in the file, a new one is written first, so that
// the file always names a counter above every one sent.
func (g *group) reserve(next uint64) {
	if g.replayPath == "" || g.cfg.VRRP() || (next < g.reserved && g.reserved-next > counterReserve/2) {
		return
	}
	g.reserved = g.m.Counter() + counterReserve
	if err := g.write(g.reserved); err != nil {
		// Not retried before the next reservation is due: a restart may
		// then reuse counters, and the peer refuses the restarted node's
		// first adverts as replays for an interval.
		g.log.Warn("advert counter not saved; a restart may reuse counters", "err", err)
	}
}

// saveReplay writes the group's file when its replay memory changed since
// the last write (it changes only when an advert is accepted).
func (g *group) saveReplay() {
	if g.replayPath == "" || g.m.Status().Received == g.savedAt {
		return
	}
	if err := g.write(g.reserved); err != nil {
		g.log.Warn("replay memory not saved", "err", err)
	}
}

// saveStopped writes the group's file once it sent its last advert: the
// next run continues from the very next counter.
func (g *group) saveStopped() {
	if g.replayPath == "" {
		return
	}
	next := g.reserved
	if !g.cfg.VRRP() {
		next = g.m.Counter()
	}
	if err := g.write(next); err != nil {
		g.log.Warn("replay memory not saved", "err", err)
	}
}

func (g *group) write(counter uint64) error {
	received := g.m.Status().Received
	if err := saveReplay(g.replayPath, g.cfg, g.m.ReplayMemory(), counter); err != nil {
		return err
	}
	g.savedAt = received
	return nil
}
