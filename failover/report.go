package failover

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/internal/jsondoc"
)

// Phase names, in the order a drill runs them.
const (
	PhaseGate     = "gate"
	PhaseBaseline = "baseline"
	PhaseTrigger  = "trigger"
	PhaseMeasure  = "measure"
	PhaseRestore  = "restore"
	PhaseReport   = "report"
)

// Phase is one phase's outcome.
type Phase struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is one network's drill, as `carpvm drill -o json` prints it
// (docs/architecture.md, "Drill report"); the fields after Phases are additions.
type Report struct {
	Pass         bool    `json:"pass"`
	Network      string  `json:"network"`
	VHID         int     `json:"vhid"`
	Trigger      string  `json:"trigger"`
	OldMaster    string  `json:"old_master"`
	NewMaster    string  `json:"new_master"`
	TakeoverS    float64 `json:"takeover_s"`
	BlackoutS    float64 `json:"blackout_s"`
	VIPMACAfter  string  `json:"vip_mac_after"`
	MACRelearned bool    `json:"mac_relearned"`
	Restored     bool    `json:"restored"`
	Phases       []Phase `json:"phases"`

	// Target is what was drilled ("lab cvl-", or the vCenter URL).
	Target string `json:"target"`
	// Pair is the router pair's name.
	Pair    string    `json:"pair"`
	Started time.Time `json:"started"`
	// DurationS is the whole drill's wall time.
	DurationS float64 `json:"duration_s"`
	// MasterDownS is the backup's theoretical takeover time,
	// 3*advbase + advskew/256 (advbase 0: 3*advskew/256).
	MasterDownS  float64 `json:"master_down_s"`
	MaxTakeoverS float64 `json:"max_takeover_s"`
	MaxBlackoutS float64 `json:"max_blackout_s"`
	// TriggerToMasterS is from the trigger to the new master's first advert.
	TriggerToMasterS float64 `json:"trigger_to_master_s"`
	// GARPs counts the gratuitous ARPs for the VIP seen after the trigger.
	GARPs int `json:"garps"`
	// SplitBrainS is how long both routers advertised (partition), or
	// how long two masters coexisted after the stunned one returned (stun).
	SplitBrainS *float64 `json:"split_brain_s,omitempty"`
	// StunS is how long the master was frozen (stun only).
	StunS float64 `json:"stun_s,omitempty"`
	// ReturnBlackoutS is the clients' longest outage after the stunned
	// master returned (stun only): near 0 when the returning master
	// re-announces, until ARP caches expire when nobody does.
	ReturnBlackoutS *float64 `json:"return_blackout_s,omitempty"`
	// Survivor is the one master left after a stun's split brain.
	Survivor string `json:"survivor,omitempty"`
	// MACFlaps are the MACs the witness saw advertising alternately from
	// two senders during the drill: on two switch ports (carp/witness).
	MACFlaps []witness.Flap `json:"mac_flaps,omitempty"`
	// Ownership is every group of the pair through the drill (with a map).
	Ownership []GroupOwnership `json:"ownership,omitempty"`
	// Unavailable names the fields above (by their JSON names) that were
	// not measured, which then hold nothing and are null in the JSON: a
	// drill with no witness (RunUnwitnessed) sees no CARP traffic. Notice
	// says why.
	Unavailable []string `json:"unavailable,omitempty"`
	Notice      string   `json:"notice,omitempty"`
	// Causes say why a failed drill failed, in the environment's terms
	// (Explainer); the first failed phase's detail ends with them.
	Causes []string `json:"causes,omitempty"`
	// Transitions are the state changes the witness saw during the drill
	// (carpvm.transition/v1 lines, architecture: Transition log), the
	// drill's own planned with their step, each with its verdict and
	// causes (explain: on vSphere, from vCenter's history); nil without
	// a witness ("transitions" is then Unavailable).
	Transitions []explain.Explained `json:"transitions,omitempty"`
	// HistoryError is why the platform's history could not be read to
	// explain them.
	HistoryError string `json:"history_error,omitempty"`
	// ProbesUnsent counts the probe rounds the witness could not send
	// during the blackout (its own link down, say): BlackoutS then
	// includes the witness's own silence.
	ProbesUnsent int `json:"probes_unsent,omitempty"`
}

// MarshalJSON writes the report with each field named in Unavailable as
// null: a figure the drill did not measure is not a 0 (takeover_s: 0
// would read as an instant takeover), nor false, nor "".
func (r Report) MarshalJSON() ([]byte, error) {
	type fields Report // without this method
	return jsondoc.EncodeNull(fields(r), r.Unavailable)
}

// Unplanned are the transitions of the drill that were not its own.
func (r *Report) Unplanned() []explain.Explained {
	var out []explain.Explained
	for _, t := range r.Transitions {
		if t.Planned == "" {
			out = append(out, t)
		}
	}
	return out
}

// unsentNote says, after a blackout figure, how many probe rounds could
// not be sent during it ("" when all were).
func (r *Report) unsentNote() string {
	if r.ProbesUnsent == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d probe rounds unsent: the witness could not send, so part of it is its own)", r.ProbesUnsent)
}

// explain adds env's causes to a failed report.
func (r *Report) explain(env Env, n Network) {
	ex, ok := env.(Explainer)
	if !ok || r.Pass {
		return
	}
	master := r.OldMaster
	if master == "" && len(n.Routers) > 0 {
		master = n.Routers[0]
	}
	r.Causes = ex.Explain(n, master)
	if len(r.Causes) == 0 {
		return
	}
	for i := range r.Phases {
		if !r.Phases[i].OK {
			r.Phases[i].Detail += "; cause: " + strings.Join(r.Causes, "; ")
			return
		}
	}
}

// Measured says whether the field of JSON name field was measured (not
// listed in Unavailable).
func (r *Report) Measured(field string) bool { return !slices.Contains(r.Unavailable, field) }

// Phase returns the phase named name and whether the drill reached it.
func (r *Report) Phase(name string) (Phase, bool) {
	for _, p := range r.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return Phase{}, false
}

func (r *Report) addPhase(name string, ok bool, format string, args ...any) {
	r.Phases = append(r.Phases, Phase{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// Passed reports whether every report passed (and there is at least one).
func Passed(reps []Report) bool {
	for _, r := range reps {
		if !r.Pass {
			return false
		}
	}
	return len(reps) > 0
}

// WriteJSON prints one report as an object, several as a list (docs/architecture.md:
// a list when --network is unset), each a "drill" document (jsondoc).
func WriteJSON(w io.Writer, reps []Report, list bool) error {
	if !list && len(reps) == 1 {
		return jsondoc.Write(w, "drill", reps[0])
	}
	return jsondoc.Write(w, "drill", reps)
}

// seconds rounds a duration to milliseconds, in seconds.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
