package lab

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/statepaths"
)

// Lab is a lab that is up.
type Lab struct {
	Opts  Options
	State *State
	log   *slog.Logger
}

// NetStatus is one group's state in the lab (a network's, or one of a
// network's groups in an active/active lab).
type NetStatus struct {
	Name      string `json:"name"`
	VHID      uint8  `json:"vhid"`
	VIP       string `json:"vip"`
	Preferred string `json:"preferred"`
	Master    string `json:"master"`
	// States by router: MASTER, BACKUP, INIT (keepalived: as its notify
	// script wrote them, FAULT and STOP too), or "running"/"stopped" for
	// ucarp, which has no status interface.
	States map[string]string `json:"states"`
}

// Status is the lab's health.
type Status struct {
	Prefix     string      `json:"prefix"`
	StateDir   string      `json:"state_dir"`
	Peer       string      `json:"peer"`
	Mode       string      `json:"mode"`
	AdvBase    int         `json:"advbase"`
	Namespaces []string    `json:"namespaces"`
	Procs      []Proc      `json:"processes"`
	Running    []bool      `json:"-"`
	Networks   []NetStatus `json:"networks"`
	// Switch is the vSwitch model the lab's bridges follow (nil: plain
	// learning bridges, every setting Accept); Causes what it predicts.
	Switch *SwitchModel `json:"switch,omitempty"`
	Causes []string     `json:"causes,omitempty"`
	// Problems make the lab unhealthy: a namespace or process missing, a
	// group with no master or two, a partition left in place, a drill's
	// journal left behind (NoteJournal).
	Problems []string `json:"problems"`
	// RestoreCommand finishes the drill whose journal was left behind:
	// the remedy then.
	RestoreCommand string `json:"restore_command,omitempty"`
}

// NoteJournal makes the status unhealthy when a drill of the lab was cut
// short and left its journal in histDir (failover.Journal): a router may
// still be off, a port down, a node stopped. The remedy is then the
// journal's restore command. A journal that cannot be read is a problem
// too.
func (s *Status) NoteJournal(histDir string) {
	j, err := failover.ReadJournal(histDir, PairName(s.Prefix))
	switch {
	case err != nil:
		s.Problems = append(s.Problems, err.Error())
	case j != nil:
		s.Problems = append(s.Problems, "a drill was cut short and left its journal "+statepaths.DrillJournal(histDir, j.Pair)+": "+j.Describe())
		s.RestoreCommand = j.RestoreCommand
	}
}

// Err is nil when the lab is healthy, else its problems.
func (s Status) Err() error {
	if len(s.Problems) == 0 {
		return nil
	}
	return errors.New("lab: " + strings.Join(s.Problems, "; "))
}

// masterProblem says what is wrong with a network's masters ("" when
// exactly one router is master).
func masterProblem(n NetStatus) string {
	switch {
	case strings.Contains(n.Master, "+"):
		return fmt.Sprintf("both routers are MASTER for vhid %d (%s): split brain", n.VHID, n.Name)
	case n.Master == "":
		return fmt.Sprintf("no master for vhid %d (%s)", n.VHID, n.Name)
	}
	return ""
}

// Remedy is the command that rebuilds an unhealthy lab with its own
// settings ("" when it is healthy): lab up replaces a lab that is not
// healthy.
func (s Status) Remedy() string {
	if s.Err() == nil {
		return ""
	}
	if s.RestoreCommand != "" {
		return "restore it with `" + s.RestoreCommand + "`"
	}
	cmd := "carpvm lab up"
	if s.Prefix != DefaultPrefix {
		cmd += " --prefix " + s.Prefix
	}
	if s.StateDir != DefaultStateDir {
		cmd += " --state-dir " + s.StateDir
	}
	if s.Peer != PeerCarpvm {
		cmd += " --peer " + s.Peer
	}
	if s.Mode == ModeUnicast {
		cmd += " --mode " + s.Mode
	}
	if s.AdvBase != DefaultAdvBase {
		cmd += fmt.Sprintf(" --advbase %d", s.AdvBase)
	}
	if s.Switch != nil {
		cmd += " " + s.Switch.UpFlag()
	}
	return "rebuild it with `" + cmd + "`"
}
