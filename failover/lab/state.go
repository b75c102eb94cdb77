package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StateFile is the lab's state file in its state directory.
const StateFile = "state.json"

// Proc is a process the lab started.
type Proc struct {
	Router string `json:"router"`
	// Net and VHID are the group of a ucarp process ("" and 0 for a
	// carpvm node, which runs every group).
	Net  string   `json:"net,omitempty"`
	VHID uint8    `json:"vhid,omitempty"`
	Kind string   `json:"kind"` // carpvm, ucarp or keepalived
	Pid  int      `json:"pid"`
	Args []string `json:"args"` // argv after `ip netns exec NS`
	Log  string   `json:"log"`
}

// State is what Up made, saved so that Down, Status and drills in other
// processes find it.
type State struct {
	Prefix  string `json:"prefix"`
	Peer    string `json:"peer"`
	AdvBase int    `json:"advbase"`
	// Unicast: the switch drops multicast and the routers advertise to
	// each other's address (Options.Mode unicast).
	Unicast bool `json:"unicast,omitempty"`
	// ActiveActive: a group per network is preferred by router-003.
	ActiveActive bool `json:"active_active,omitempty"`
	// Node are the carpvm nodes' settings (Options.Node).
	Node       NodeSettings `json:"node,omitzero"`
	Executable string       `json:"executable"`
	Namespaces []string     `json:"namespaces"`
	Procs      []Proc       `json:"procs"`
	Created    time.Time    `json:"created"`
	// Switch is the vSwitch model the bridges were built with (nil: plain
	// learning bridges); Assigned the router ports' assigned MACs, by
	// bridge port, and Applied the MACs their filters were built for.
	Switch   *SwitchModel      `json:"switch,omitempty"`
	Assigned map[string]string `json:"assigned_macs,omitempty"`
	Applied  map[string]string `json:"applied_macs,omitempty"`
}

// Mode is the lab's Options.Mode.
func (s *State) Mode() string {
	if s.Unicast {
		return ModeUnicast
	}
	return ModeMulticast
}

func statePath(dir string) string { return filepath.Join(dir, StateFile) }

// loadState reads dir's state; (nil, nil) when there is none.
func loadState(dir string) (*State, error) {
	b, err := os.ReadFile(statePath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lab: read state: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("lab: state file %s: %w", statePath(dir), err)
	}
	return &st, nil
}

// save writes the state atomically, 0600.
func (st *State) save(dir string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(dir) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("lab: write state: %w", err)
	}
	if err := os.Rename(tmp, statePath(dir)); err != nil {
		return fmt.Errorf("lab: write state: %w", err)
	}
	return nil
}
