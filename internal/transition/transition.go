package transition

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Format is the value of every line's "format" member.
const Format = "carpvm.transition/v1"

// States are the states a transition goes from and to (carp.State's names).
var states = []string{"INIT", "BACKUP", "MASTER"}

// Transition is one state change of one CARP (or VRRP) group on one router.
type Transition struct {
	Time time.Time `json:"time"`
	// Router is the router whose group changed state (carpvm.yaml's
	// router name; a witness names the router whose address sent the
	// adverts).
	Router  string `json:"router"`
	Network string `json:"network"`
	VHID    int    `json:"vhid"`
	From    string `json:"from"`
	To      string `json:"to"`
	// Reason is why, in the writer's words ("master down", "preempt",
	// "demoted", "bow-out advert"); may be empty.
	Reason string `json:"reason"`
	// Demotion is the router's demotion at the time (0 when unknown).
	Demotion int `json:"demotion"`
	// Planned names the drill step that caused the transition ("drill
	// stun: trigger"), empty for an unplanned one.
	Planned string `json:"planned,omitempty"`
}

// line is a Transition as written, with its format first.
type line struct {
	Format string `json:"format"`
	Transition
}

// Marshal encodes t as one line, with its newline.
func Marshal(t Transition) ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(line{Format: Format, Transition: t})
	if err != nil {
		return nil, fmt.Errorf("transition: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// Validate says what is wrong with t, naming the field.
func (t Transition) Validate() error {
	switch {
	case t.Time.IsZero():
		return errors.New(`"time": missing; want an RFC 3339 time, e.g. "2026-12-07T02:14:03.25Z"`)
	case strings.TrimSpace(t.Router) == "":
		return errors.New(`"router": missing; want the router's name in carpvm.yaml`)
	case strings.TrimSpace(t.Network) == "":
		return errors.New(`"network": missing; want the network's name in carpvm.yaml`)
	case t.VHID < 1 || t.VHID > 255:
		return fmt.Errorf(`"vhid": %d; want 1..255`, t.VHID)
	case !slices.Contains(states, t.From):
		return fmt.Errorf(`"from": %q; want one of %s`, t.From, strings.Join(states, ", "))
	case !slices.Contains(states, t.To):
		return fmt.Errorf(`"to": %q; want one of %s`, t.To, strings.Join(states, ", "))
	case t.Demotion < 0:
		return fmt.Errorf(`"demotion": %d; want 0 or more`, t.Demotion)
	}
	return nil
}

// Parse decodes one line. Unknown members are refused (a typo would
// otherwise lose a field), as is a line of another format.
func Parse(b []byte) (Transition, error) {
	b = bytes.TrimSpace(b)
	var l line
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Transition{}, fmt.Errorf("not a transition line: %w", err)
	}
	if dec.More() {
		return Transition{}, errors.New("not a transition line: more than one JSON value on the line")
	}
	if l.Format != Format {
		return Transition{}, fmt.Errorf(`"format": %q; want %q`, l.Format, Format)
	}
	if err := l.Transition.Validate(); err != nil {
		return Transition{}, err
	}
	return l.Transition, nil
}
