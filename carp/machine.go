package carp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// MaxAdvSkew is the largest advskew a node may be configured with.
const MaxAdvSkew = 254

// MaxDemotedSkew is where demotion stops adding to advskew (FreeBSD's
// CARP_MAXSKEW). Reaching it means "unfit to be master": a MASTER bows out.
const MaxDemotedSkew = 240

// BowOut is the advbase and advskew of the advert a MASTER sends when it
// stops: its interval (255 s) exceeds every backup's master-down, so any
// backup takes over at once.
const BowOut = 255

// Config is one CARP group on this node.
type Config struct {
	VHID    uint8
	AdvBase uint8 // seconds; 0 = sub-second (OpenBSD semantics), for labs
	AdvSkew uint8 // 0..254
	Preempt bool
	// PreemptDelay holds preemption back for this long after Start, so that
	// a rebooted router whose services are not up yet does not take its
	// groups back at once; a group with no master is still taken over at
	// master-down.
	PreemptDelay time.Duration
	VIPs         []netip.Addr
	Key          Key
	// Self is this node's own IPv4 source address and Self6 its IPv6 one
	// (the parent interface's link-local address), to recognise echoed
	// adverts; optional: echoes are also recognised by counters this
	// machine sent.
	Self, Self6 netip.Addr
	// Counter seeds the advert counter (the runtime passes a random value).
	Counter uint64

	// Version is the protocol, as FreeBSD's carpver: 0 or 2 CARP, 3
	// VRRPv3 (RFC 9568). A VRRPv3 group uses Priority and Interval instead
	// of AdvBase and AdvSkew, has no Key, and needs Self (IPv4 VIPs) or
	// Self6 (IPv6 VIPs): its checksum covers the source address.
	Version uint8
	// Priority is the VRRPv3 priority, 1..255 (255: the address owner,
	// master at once); the router's demotion lowers it
	// (VRRPDemotedPriority).
	Priority uint8
	// Interval is the VRRPv3 advertisement interval in centiseconds
	// (1..4095).
	Interval uint16
	// VRRPChecksum is the IPv4 VRRPv3 checksum variant sent and accepted.
	VRRPChecksum VRRPChecksum
	// Peer and Peer6 make the group unicast (FreeBSD 14's peer and
	// peer6): adverts of that family go to the peer's address, adverts
	// from any other source are rejected (RejectPeer), and the TTL is not
	// checked, as FreeBSD does not check it for unicast.
	Peer, Peer6 netip.Addr
}

// ErrConfig is wrapped by NewMachine's validation errors.
var ErrConfig = errors.New("carp: invalid group configuration")

// Machine is the CARP state machine of one group. It is deterministic and
// pure: time comes in as arguments, and what must be done goes out as
// Actions (see Action for their order). It is not safe for concurrent use.
type Machine struct {
	cfg    Config
	signer *signer
	state  State
	// has4, has6: the group has IPv4 / IPv6 VIPs, so it advertises to
	// 224.0.0.18 / ff02::12.
	has4, has6 bool

	demotion uint8
	counter  uint64 // next counter to send
	nsent    uint64 // adverts sent; our counters are [cfg.Counter, counter)

	masterDownAt time.Time // BACKUP: take over when reached
	nextAdvert   time.Time // MASTER: advertise when reached
	garpAt       time.Time // MASTER: next gratuitous ARP (the second, then a unicast group's refresh); zero when done
	preemptAt    time.Time // BACKUP: no preemption before it (Config.PreemptDelay)

	replay replayGuard
	st     Status

	// masterInterval is the VRRPv3 master's advertised interval in
	// centiseconds, learned from its adverts (RFC 9568's
	// Master_Adver_Interval).
	masterInterval uint16
}

// NewMachine validates cfg and returns a machine in INIT; call Start.
func NewMachine(cfg Config) (*Machine, error) {
	if cfg.VHID == 0 {
		return nil, fmt.Errorf("%w: vhid 0, want 1..255", ErrConfig)
	}
	if cfg.AdvSkew > MaxAdvSkew {
		return nil, fmt.Errorf("%w: advskew %d, want 0..%d", ErrConfig, cfg.AdvSkew, MaxAdvSkew)
	}
	if err := cfg.checkVersion(); err != nil {
		return nil, err
	}
	if len(cfg.VIPs) == 0 {
		return nil, fmt.Errorf("%w: vhid %d has no virtual address, want at least one", ErrConfig, cfg.VHID)
	}
	for _, ip := range cfg.VIPs {
		if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return nil, fmt.Errorf("%w: vhid %d: virtual address %q is not a unicast address", ErrConfig, cfg.VHID, ip)
		}
	}
	cfg.VIPs = slices.Clone(cfg.VIPs)
	m := &Machine{
		cfg:            cfg,
		signer:         newSigner(cfg.Key, cfg.VHID, cfg.VIPs),
		counter:        cfg.Counter,
		masterInterval: cfg.Interval,
	}
	for _, ip := range cfg.VIPs {
		if ip.Unmap().Is4() {
			m.has4 = true
		} else {
			m.has6 = true
		}
	}
	if err := m.checkSources(); err != nil {
		return nil, err
	}
	m.st.VHID = cfg.VHID
	m.st.Version = m.version()
	return m, nil
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// skew is our effective advskew: advskew plus demotion, clamped at
// MaxDemotedSkew (never below the configured advskew).
func (m *Machine) skew() int {
	s := int(m.cfg.AdvSkew)
	if m.demotion == 0 {
		return s
	}
	return max(s, min(s+int(m.demotion), MaxDemotedSkew))
}

// Interval is this node's advertisement interval, demotion included.
func (m *Machine) Interval() time.Duration {
	if m.vrrp() {
		return centiseconds(m.cfg.Interval)
	}
	return interval(m.cfg.AdvBase, m.skew())
}

// MasterDown is how long this node, as BACKUP, waits without adverts.
func (m *Machine) MasterDown() time.Duration {
	if m.vrrp() {
		return VRRPMasterDown(m.priority(), m.masterInterval)
	}
	return masterDown(m.cfg.AdvBase, m.skew())
}

// Start moves INIT to BACKUP and arms the master-down timer. It also yields
// ReleaseVIPs, so that VIPs left by a crashed run are removed. Calling it in
// another state does nothing.
func (m *Machine) Start(now time.Time) []Action {
	if m.state != Init {
		return nil
	}
	m.preemptAt = now.Add(m.cfg.PreemptDelay)
	if m.vrrp() && m.cfg.Priority == VRRPPriorityOwner {
		return m.become(now, Master, "address owner (priority 255)")
	}
	return append(m.become(now, Backup, "started"), ReleaseVIPs{})
}

// Stop leaves the group: as MASTER it bows out (an advert with advbase and
// advskew 255, so that a backup takes over at once) and releases the VIPs;
// in any case the machine ends in INIT. Start may be called again.
func (m *Machine) Stop(now time.Time) []Action {
	switch m.state {
	case Master:
		acts := m.become(now, Init, "stopped")
		acts = m.appendBowOut(acts)
		return append(acts, ReleaseVIPs{})
	case Backup:
		return m.become(now, Init, "stopped")
	}
	return nil
}

// SetDemotion sets the demotion added to advskew (the effective skew is
// clamped at MaxDemotedSkew). A MASTER whose effective skew changes
// advertises at once with it (as FreeBSD does when its demotion changes),
// so that a preempting backup can take over; a MASTER demoted to the clamp
// bows out instead, so that any backup takes over at once.
func (m *Machine) SetDemotion(now time.Time, d uint8) []Action {
	old, oldPrio := m.skew(), m.priority()
	m.demotion = d
	m.st.Demotion = d
	cur := m.skew()
	if m.vrrp() {
		// VRRPv3 has no bow-out for a demoted master: it advertises its
		// lower priority, and a preempting backup of a higher one takes
		// over (RFC 9568 §6.4.2).
		if m.state != Master || m.priority() == oldPrio {
			return nil
		}
		m.nextAdvert = now.Add(m.Interval())
		return m.appendAdverts(nil, 0, 0)
	}
	if m.state != Master || cur == old {
		return nil
	}
	m.nextAdvert = now.Add(m.Interval())
	if cur >= MaxDemotedSkew && old < MaxDemotedSkew {
		return m.appendBowOut(nil)
	}
	return m.appendAdverts(nil, m.cfg.AdvBase, uint8(cur))
}

// Deadline is when Tick must next be called; the zero time when no timer
// runs (INIT).
func (m *Machine) Deadline() time.Time {
	switch m.state {
	case Backup:
		return m.masterDownAt
	case Master:
		if !m.garpAt.IsZero() && m.garpAt.Before(m.nextAdvert) {
			return m.garpAt
		}
		return m.nextAdvert
	}
	return time.Time{}
}

// Tick runs the timers that are due at now: a BACKUP whose master-down
// timer expired becomes MASTER; a MASTER advertises every interval and
// sends its second gratuitous ARP two intervals after taking over.
func (m *Machine) Tick(now time.Time) []Action {
	switch m.state {
	case Backup:
		if !now.Before(m.masterDownAt) {
			return m.become(now, Master, "master-down timer expired")
		}
	case Master:
		var acts []Action
		if !now.Before(m.nextAdvert) {
			m.nextAdvert = now.Add(m.Interval())
			acts = m.appendAdverts(acts, m.cfg.AdvBase, uint8(m.skew()))
		}
		if !m.garpAt.IsZero() && !now.Before(m.garpAt) {
			m.garpAt = m.nextGARP(now)
			acts = append(acts, SendGARP{})
		}
		return acts
	}
	return nil
}

// Thawed tells a BACKUP that its process was frozen (a VM stun, SIGSTOP)
// until now: it heard no adverts because it was not running, not because
// the master stopped sending them, so its master-down timer starts again
// from now instead of expiring. A master that really died is replaced one
// master-down interval after the thaw. Other states are unchanged.
func (m *Machine) Thawed(now time.Time) {
	if m.state == Backup {
		m.masterDownAt = now.Add(m.MasterDown())
	}
}

// Received is a protocol-112 packet as the runtime got it, over IPv4 or
// IPv6 (the family of Src).
type Received struct {
	Src netip.Addr
	// Dst is the packet's destination: a VRRPv3 checksum covers it. The
	// zero Addr means the family's multicast group.
	Dst     netip.Addr
	TTL     uint8  // IPv4 TTL or IPv6 hop limit
	Payload []byte // raw protocol-112 payload
}

// Step handles a received advertisement, IPv4 or IPv6 alike. It is checked
// in the order of the Reject constants (TTL or hop limit, length, checksum, version and type, authlen, vhid,
// HMAC, echo of our own, replay); a rejected one is counted by reason and
// changes nothing else. An accepted one, with interval advbase +
// (advskew+demote)/256 s (OpenBSD's demote byte honoured), is judged as
// FreeBSD does: a MASTER steps down before an interval shorter than or equal
// to its own; a BACKUP takes over from a slower master when preempting, and
// from a master whose interval exceeds its own master-down interval (a
// bow-out); otherwise it re-arms its master-down timer. A group with both
// families has one master-down timer, re-armed by an authentic advert of
// either family (FreeBSD keeps one per family and takes over when either
// expires; one timer keeps a backup from flapping when a segment filters
// one family's multicast but still delivers the other's).
func (m *Machine) Step(now time.Time, r Received) []Action {
	if m.vrrp() {
		return m.stepVRRP(now, r)
	}
	a, rej := m.check(now, r)
	if rej != 0 {
		m.reject(now, r, rej)
		return nil
	}
	m.st.Received++
	theirs := interval(a.AdvBase, int(a.AdvSkew)+int(a.Demote))
	switch m.state {
	case Master:
		if theirs <= m.Interval() {
			m.st.MasterSeen = r.Src
			return m.become(now, Backup, "more frequent advertisement received from "+r.Src.String())
		}
	case Backup:
		m.st.MasterSeen = r.Src
		switch {
		case m.cfg.Preempt && theirs > m.Interval() && !now.Before(m.preemptAt):
			return m.become(now, Master, "preempting a slower master "+r.Src.String())
		case theirs > m.MasterDown():
			return m.become(now, Master, "master "+r.Src.String()+" will time out (bow-out)")
		}
		m.masterDownAt = now.Add(m.MasterDown())
	}
	return nil
}

// reject counts a refused advert by reason.
func (m *Machine) reject(now time.Time, r Received, rej Reject) {
	m.st.Rejected.n[rej]++
	m.st.LastReject = RejectRecord{At: now, Reason: rej, Src: r.Src}
}

// check decodes and authenticates r, received at now; it returns why r is
// refused, or 0.
func (m *Machine) check(now time.Time, r Received) (Advert, Reject) {
	if rej := m.checkSource(r); rej != 0 {
		return Advert{}, rej
	}
	a, rej := decodeAdvert(r.Payload)
	if rej != 0 {
		return a, rej
	}
	if a.VHID != m.cfg.VHID {
		return a, RejectVHID
	}
	if !m.signer.verify(&a) {
		return a, RejectHMAC
	}
	if m.isSelf(r.Src) || a.Counter-m.cfg.Counter < m.nsent {
		return a, RejectEcho
	}
	if !m.replay.accept(r.Src, a.Counter, now, m.resetSilence(a)) {
		return a, RejectReplay
	}
	return a, 0
}

// resetSilence is how long the source of a must have been silent for its
// counter to go back (a restart) and be accepted at once: master-down, the
// longer of the source's (as its advert states it) and ours, so that no
// live peer's ordinary interval counts as silence.
func (m *Machine) resetSilence(a Advert) time.Duration {
	return max(MasterDown(a.AdvBase, int(a.AdvSkew)), m.MasterDown())
}

// Counter is the counter the next advert will carry. A runtime that keeps
// it (with the replay memory) and seeds Config.Counter with it after a
// restart never sends a counter twice, so its peers' replay guards accept
// the restarted node's first advert.
func (m *Machine) Counter() uint64 { return m.counter }

// become moves to state to, arming that state's timers, and returns the
// transition and the actions entering it takes.
func (m *Machine) become(now time.Time, to State, reason string) []Action {
	from := m.state
	m.state = to
	m.st.State = to
	m.st.LastTransition = TransitionRecord{At: now, From: from, To: to, Reason: reason}
	m.st.Transitions++
	acts := []Action{Transition{From: from, To: to, Reason: reason}}
	m.garpAt = time.Time{}
	switch to {
	case Master:
		m.st.MasterSeen = m.cfg.Self
		if !m.has4 || !m.cfg.Self.IsValid() {
			m.st.MasterSeen = m.cfg.Self6
		}
		m.nextAdvert = now.Add(m.Interval())
		m.garpAt = now.Add(2 * m.Interval())
		acts = m.appendAdverts(acts, m.cfg.AdvBase, uint8(m.skew()))
		acts = append(acts, ClaimVIPs{}, SendGARP{})
	case Backup:
		m.masterDownAt = now.Add(m.MasterDown())
		if from == Master {
			acts = append(acts, ReleaseVIPs{})
		}
	case Init:
		m.st.MasterSeen = netip.Addr{}
	}
	return acts
}

// isSelf reports whether src is one of this node's own advert sources.
func (m *Machine) isSelf(src netip.Addr) bool {
	return (m.cfg.Self.IsValid() && src == m.cfg.Self) || (m.cfg.Self6.IsValid() && src.WithZone("") == m.cfg.Self6.WithZone(""))
}

// appendAdverts appends the adverts of one interval to acts: one per
// address family of the VIPs, IPv4 first, each with its own counter (the
// next one), as FreeBSD's carp_send_ad_locked prepares each packet.
func (m *Machine) appendAdverts(acts []Action, advbase, advskew uint8) []Action {
	if m.vrrp() {
		return m.appendVRRPAdverts(acts, m.priority())
	}
	if m.has4 {
		acts = append(acts, m.advert(advbase, advskew, false))
	}
	if m.has6 {
		acts = append(acts, m.advert(advbase, advskew, true))
	}
	return acts
}

// advert builds the next advertisement with the given advbase and advskew,
// for IPv6 (ff02::12) or IPv4 (224.0.0.18).
func (m *Machine) advert(advbase, advskew uint8, ipv6 bool) SendAdvert {
	a := Advert{
		VHID:    m.cfg.VHID,
		AdvBase: advbase,
		AdvSkew: advskew,
		AuthLen: AuthLen,
		Counter: m.counter,
	}
	a.HMAC = m.signer.sum(a.Counter)
	m.counter++
	m.nsent++
	m.st.Sent++
	b, _ := a.MarshalBinary()
	return SendAdvert{Advert: a, Payload: b, IPv6: ipv6, Dst: m.destination(ipv6)}
}
