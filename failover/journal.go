package failover

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/atomicfile"
	"github.com/carpvm/carpvm/internal/jsondoc"
	"github.com/carpvm/carpvm/internal/statepaths"
)

// A drill's journal says, while a trigger may be in effect, what the drill
// changed and how to undo it, so that a drill killed between its trigger
// and its restore (an evicted CronJob pod, SIGKILL) leaves a record that
// `carpvm drill restore` finishes from. It is written atomically before
// the trigger, updated as the drill passes each journal phase, and removed
// only once the undo was read back. It lives in the history directory,
// which outlives the drill's process and pod (the lock's directory is in
// /run, or in the pod's own filesystem).

// JournalKind is the journal's document kind: "carpvm.drill-journal/v1".
const JournalKind = "drill-journal"

// Journal phases, in order. JournalUndone is never written: the journal is
// removed once the undo was read back; it is only passed to
// Options.OnJournal, just before the removal.
const (
	// JournalJournaled: written, the trigger not yet sent.
	JournalJournaled = "journaled"
	// JournalTriggered: the trigger was sent (it may have taken effect
	// even when its answer was an error).
	JournalTriggered = "triggered"
	// JournalRestoring: the undo is being sent.
	JournalRestoring = "restoring"
	// JournalUndone: the undo was read back.
	JournalUndone = "undone"
)

// JournalPhases lists the phases Options.OnJournal sees, in order.
func JournalPhases() []string {
	return []string{JournalJournaled, JournalTriggered, JournalRestoring, JournalUndone}
}

// Journal is one pair's drill in progress, as its journal file holds it.
type Journal struct {
	// Target is what the drill drove (Env.Target: "lab cvl-", a URL
	// without credentials); a restore against another target refuses.
	Target  string `json:"target"`
	Pair    string `json:"pair"`
	Trigger string `json:"trigger"`
	// Action is the trigger's action in the Env (Trigger.Action).
	Action  string `json:"action"`
	Network string `json:"network"`
	VHID    int    `json:"vhid"`
	// Router is the router the trigger acted on.
	Router string `json:"router"`
	Phase  string `json:"phase"`
	// PID is the drill's process.
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
	// Objects are what the trigger changes, each with its state before.
	Objects []JournalObject `json:"objects"`
	// RestoreCommand is the command that finishes the restore.
	RestoreCommand string `json:"restore_command"`
}

// JournalObject is one object a trigger changes: its state as read before
// the trigger, and what undoes the change.
type JournalObject struct {
	Object   string `json:"object"`
	Original string `json:"original"`
	Undo     string `json:"undo"`
}

// ReadJournal reads pair's journal in dir; nil, nil when there is none. A
// journal that cannot be read or is not a journal is an error naming the
// file: it is never taken for "nothing to restore".
func ReadJournal(dir, pair string) (*Journal, error) {
	path := statepaths.DrillJournal(dir, pair)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failover: drill journal: %w", err)
	}
	var doc struct {
		Format string `json:"format"`
		Journal
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("failover: drill journal %s: %w; it records a drill that may have left a router changed: check the pair, then remove the file", path, err)
	}
	if want := jsondoc.Format(JournalKind); doc.Format != want {
		return nil, fmt.Errorf("failover: drill journal %s: format %q, want %q", path, doc.Format, want)
	}
	if doc.Pair != pair {
		return nil, fmt.Errorf("failover: drill journal %s: it is pair %q's, not %q", path, doc.Pair, pair)
	}
	return &doc.Journal, nil
}

// write saves j in dir atomically (0600, dir created 0700).
func (j *Journal) write(dir string, now time.Time) error {
	j.Updated = now
	b, err := jsondoc.Marshal(JournalKind, j)
	if err != nil {
		return fmt.Errorf("failover: drill journal: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failover: drill journal: %w", err)
	}
	if err := atomicfile.WriteFile(statepaths.DrillJournal(dir, j.Pair), b, 0o600); err != nil {
		return fmt.Errorf("failover: drill journal: %w", err)
	}
	return nil
}

// removeJournal removes pair's journal in dir; none is no error.
func removeJournal(dir, pair string) error {
	if err := os.Remove(statepaths.DrillJournal(dir, pair)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failover: drill journal: %w", err)
	}
	return nil
}

// Describe says in words what the journal records: the drill, its phase,
// and each object with its state before.
func (j *Journal) Describe() string {
	var objs []string
	for _, o := range j.Objects {
		objs = append(objs, fmt.Sprintf("%s (before: %s; undo: %s)", o.Object, o.Original, o.Undo))
	}
	return fmt.Sprintf("drill of pair %s on %s (pid %d, started %s): trigger %s on %s, network %s, phase %s; %s",
		j.Pair, j.Target, j.PID, j.Started.UTC().Format(time.RFC3339), j.Trigger, j.Router, j.Network, j.Phase, strings.Join(objs, ", "))
}

// network is the journal's network as the Env's Effect and Undo need it:
// they find the rest by name.
func (j *Journal) network() Network {
	return Network{Name: j.Network, VHID: uint8(j.VHID)}
}
