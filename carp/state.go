package carp

import (
	"fmt"
	"net/netip"
)

// State is the state of a CARP group on this node.
type State uint8

// The three CARP states.
const (
	Init State = iota
	Backup
	Master
)

func (s State) String() string {
	switch s {
	case Init:
		return "INIT"
	case Backup:
		return "BACKUP"
	case Master:
		return "MASTER"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// MarshalText encodes s as its name, for JSON and logs.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a state name ("INIT", "BACKUP", "MASTER").
func (s *State) UnmarshalText(b []byte) error {
	for _, v := range []State{Init, Backup, Master} {
		if string(b) == v.String() {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("carp: unknown state %q, want INIT, BACKUP or MASTER", b)
}

// Action is something the runtime must do on the Machine's behalf. Step,
// Tick, Start, Stop and SetDemotion return actions in the order the runtime
// must perform them:
//
//   - a Transition, when there is one, comes first (log it at Info, run
//     hooks, export metrics);
//   - SendAdvert before ClaimVIPs and SendGARP: becoming MASTER yields
//     Transition, SendAdvert, ClaimVIPs, SendGARP; a second SendGARP comes
//     from Tick about two advertisement intervals later;
//   - stepping down from MASTER yields Transition, ReleaseVIPs; Stop as
//     MASTER yields Transition, SendAdvert (the bow-out), ReleaseVIPs.
//
// Wherever one SendAdvert is listed, a group with both IPv4 and IPv6 VIPs
// gets two in a row: the IPv4 one, then the IPv6 one (with the next
// counter), as FreeBSD sends them.
//
// Performing an action twice must be harmless (ClaimVIPs when the VIPs are
// already there, ReleaseVIPs when they are not).
type Action interface{ isAction() }

// SendAdvert asks the runtime to send Payload (Advert, encoded, checksum
// filled) from the virtual MAC with TTL (hop limit) 255: to 224.0.0.18
// from the interface's IPv4 address, or with IPv6 set to ff02::12 from its
// link-local address.
type SendAdvert struct {
	// Advert is the CARP advertisement; zero for a VRRPv3 group, whose
	// advert is VRRP.
	Advert  Advert
	VRRP    VRRPAdvert
	Payload []byte
	IPv6    bool
	// Dst is the unicast peer to send to (Config.Peer or Peer6); the zero
	// Addr means the family's multicast group.
	Dst netip.Addr
}

// Transition reports a state change and why; the runtime logs it at Info.
type Transition struct {
	From, To State
	Reason   string
}

// ClaimVIPs asks the runtime to configure the VIPs (on the virtual-MAC
// interface); it comes before the first SendGARP.
type ClaimVIPs struct{}

// ReleaseVIPs asks the runtime to remove the VIPs from this node.
type ReleaseVIPs struct{}

// SendGARP asks the runtime to send a gratuitous ARP for every IPv4 VIP from
// the virtual MAC (and an unsolicited neighbour advertisement per IPv6 VIP).
type SendGARP struct{}

func (SendAdvert) isAction()  {}
func (Transition) isAction()  {}
func (ClaimVIPs) isAction()   {}
func (ReleaseVIPs) isAction() {}
func (SendGARP) isAction()    {}

// Reject is why a received advertisement was dropped. Every rejection is
// counted by reason (Status.Rejected) and none changes state.
type Reject uint8

// Rejection reasons, in the order Step checks them.
const (
	RejectTTL       Reject = iota + 1 // TTL or IPv6 hop limit is not 255 (the packet was routed; multicast only)
	RejectShort                       // shorter than HeaderLen
	RejectChecksum                    // bad CARP checksum
	RejectVersion                     // not version 2 type 1 (advertisement)
	RejectAuthLen                     // authlen is not 7
	RejectVHID                        // another vhid than this machine's
	RejectHMAC                        // HMAC does not verify with our key and VIPs
	RejectEcho                        // our own advert, reflected back to us
	RejectReplay                      // an authentic advert seen before
	RejectAddrCount                   // VRRPv3: the address count does not match the length
	RejectPeer                        // unicast: not from the configured peer
	numReject
)

var rejectNames = [numReject]string{
	RejectTTL:       "bad_ttl",
	RejectShort:     "short",
	RejectChecksum:  "bad_checksum",
	RejectVersion:   "bad_version",
	RejectAuthLen:   "bad_authlen",
	RejectVHID:      "unknown_vhid",
	RejectHMAC:      "bad_hmac",
	RejectEcho:      "echo",
	RejectReplay:    "replay",
	RejectAddrCount: "bad_addr_count",
	RejectPeer:      "not_peer",
}

// Rejects lists every rejection reason, for exporting counters (metrics,
// logs) with all reasons present from the start.
func Rejects() []Reject {
	out := make([]Reject, 0, numReject-1)
	for r := RejectTTL; r < numReject; r++ {
		out = append(out, r)
	}
	return out
}

func (r Reject) String() string {
	if r > 0 && r < numReject {
		return rejectNames[r]
	}
	return fmt.Sprintf("Reject(%d)", uint8(r))
}

// MarshalText encodes r as its name (e.g. "bad_hmac"); 0 (no rejection)
// as "".
func (r Reject) MarshalText() ([]byte, error) {
	if r == 0 {
		return nil, nil
	}
	return []byte(r.String()), nil
}

// UnmarshalText decodes a reason name ("" is 0, no rejection).
func (r *Reject) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*r = 0
		return nil
	}
	for v := RejectTTL; v < numReject; v++ {
		if string(b) == rejectNames[v] {
			*r = v
			return nil
		}
	}
	return fmt.Errorf("carp: unknown rejection reason %q", b)
}
