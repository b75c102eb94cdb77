package carp

import (
	"encoding/json"
	"net/netip"
	"time"
)

// Status is a snapshot of a Machine for `carpvm node status`, metrics and
// logs. It is a value: the runtime may keep or encode it freely.
type Status struct {
	VHID uint8 `json:"vhid"`
	// Version is the protocol: 2 CARP, 3 VRRPv3 (which has no
	// authentication).
	Version  uint8 `json:"version"`
	State    State `json:"state"`
	Demotion uint8 `json:"demotion"`
	// MasterSeen is the master of the group as this node last knew it: the
	// source of the last accepted advert, or Config.Self while MASTER
	// (invalid when unset).
	MasterSeen     netip.Addr       `json:"master_seen"`
	LastTransition TransitionRecord `json:"last_transition"`
	Transitions    uint64           `json:"transitions"`
	Sent           uint64           `json:"adverts_sent"`
	Received       uint64           `json:"adverts_received"` // accepted
	Rejected       RejectCounts     `json:"rejected"`
	// LastReject is the most recent rejection (Reason 0 when none), for a
	// rate-limited log line that names an example source.
	LastReject RejectRecord `json:"last_reject"`
}

// TransitionRecord is a past state change.
type TransitionRecord struct {
	At     time.Time `json:"at"`
	From   State     `json:"from"`
	To     State     `json:"to"`
	Reason string    `json:"reason"`
}

// RejectRecord is a past rejection.
type RejectRecord struct {
	At     time.Time  `json:"at"`
	Reason Reject     `json:"reason"`
	Src    netip.Addr `json:"source"`
}

// RejectCounts counts rejected adverts by reason.
type RejectCounts struct{ n [numReject]uint64 }

// Of returns the count for reason r.
func (c RejectCounts) Of(r Reject) uint64 {
	if r >= numReject {
		return 0
	}
	return c.n[r]
}

// Total returns the count over all reasons.
func (c RejectCounts) Total() uint64 {
	var t uint64
	for _, v := range c.n {
		t += v
	}
	return t
}

// Sub returns c minus an earlier snapshot, per reason: what was rejected in
// between (for a per-interval log summary).
func (c RejectCounts) Sub(earlier RejectCounts) RejectCounts {
	var d RejectCounts
	for i := range c.n {
		d.n[i] = c.n[i] - earlier.n[i]
	}
	return d
}

// MarshalJSON encodes the counts as an object keyed by reason name, every
// reason present.
func (c RejectCounts) MarshalJSON() ([]byte, error) {
	m := make(map[string]uint64, numReject)
	for _, r := range Rejects() {
		m[r.String()] = c.n[r]
	}
	return json.Marshal(m)
}

// UnmarshalJSON decodes what MarshalJSON encodes; unknown reasons are an
// error, so that a newer peer's output is not silently misread.
func (c *RejectCounts) UnmarshalJSON(b []byte) error {
	var m map[string]uint64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var out RejectCounts
	for name, v := range m {
		var r Reject
		if err := r.UnmarshalText([]byte(name)); err != nil {
			return err
		}
		out.n[r] = v
	}
	*c = out
	return nil
}

// Status returns a snapshot of the machine.
func (m *Machine) Status() Status { return m.st }
