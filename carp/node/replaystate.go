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

// replayFile is a group's replay memory as kept on disk.
type replayFile struct {
	Interface string            `json:"interface"`
	VHID      uint8             `json:"vhid"`
	Replay    carp.ReplayMemory `json:"replay"`
}

// loadReplay reads the replay memory of g from path; a missing file is an
// empty memory.
func loadReplay(path string, g Group) (carp.ReplayMemory, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return carp.ReplayMemory{}, nil
	}
	if err != nil {
		return carp.ReplayMemory{}, fmt.Errorf("node: replay memory: %w", err)
	}
	var f replayFile
	if err := json.Unmarshal(b, &f); err != nil {
		return carp.ReplayMemory{}, fmt.Errorf("node: replay memory %s: %w", path, err)
	}
	if f.Interface != g.Interface || f.VHID != g.VHID {
		return carp.ReplayMemory{}, fmt.Errorf("node: replay memory %s is of vhid %d on %q; want vhid %d on %q", path, f.VHID, f.Interface, g.VHID, g.Interface)
	}
	return f.Replay, nil
}

// saveReplay writes the replay memory of g to path (0600, torn-proof).
func saveReplay(path string, g Group, mem carp.ReplayMemory) error {
	b, err := json.Marshal(replayFile{Interface: g.Interface, VHID: g.VHID, Replay: mem})
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
