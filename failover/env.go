package failover

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// Trigger is how a drill makes the master fail.
type Trigger string

// Triggers: what a drill does to the master to make it fail over.
const (
	// TriggerNICDisconnect disconnects the master's NIC on the network
	// (vSphere: the VM's virtual NIC; lab: the master's switch port).
	TriggerNICDisconnect Trigger = "nic-disconnect"
	// TriggerPowerOff powers the master off hard (lab: SIGKILL its CARP
	// process and drop its links, as a powered-off VM has none).
	TriggerPowerOff Trigger = "power-off"
	// TriggerDemote hands over gracefully (carpvm node: its control
	// socket; FreeBSD: the user's command).
	TriggerDemote Trigger = "demote"
	// TriggerPartition cuts the routers from each other only, so that both
	// become master, then heals (lab only).
	TriggerPartition Trigger = "partition"
	// TriggerLinkDown takes the master's link on the network down, as
	// nic-disconnect does, and expects the whole router to fail over:
	// every group it held, on every network, moves to the peer.
	TriggerLinkDown Trigger = "link-down"
	// TriggerStun freezes the master for Options.Stun and lets it return
	// believing it is still master, as ESXi stuns a VM for a memory
	// snapshot or a vMotion (lab: SIGSTOP its CARP process and silence its
	// switch ports, then SIGCONT; vSphere: a memory snapshot, removed
	// after). The drill measures the split brain after the return and the
	// clients' blackout until the VIP answers again.
	TriggerStun Trigger = "stun"
)

// DefaultStun is how long a stun drill freezes the master by default:
// longer than the usual master-down, so that the backup takes over.
const DefaultStun = 10 * time.Second

// Triggers lists every trigger, for flag help and validation.
func Triggers() []Trigger {
	return []Trigger{TriggerNICDisconnect, TriggerLinkDown, TriggerPowerOff, TriggerDemote, TriggerPartition, TriggerStun}
}

// TriggerNames lists the triggers' names, for help texts and errors.
func TriggerNames() string {
	names := make([]string, len(Triggers()))
	for i, t := range Triggers() {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// ParseTrigger checks s against Triggers.
func ParseTrigger(s string) (Trigger, error) {
	if slices.Contains(Triggers(), Trigger(s)) {
		return Trigger(s), nil
	}
	return "", fmt.Errorf("trigger %q: want one of %s", s, TriggerNames())
}

// wholeRouter says whether t fails the master as a whole router, so that
// every group it held must move, not only the drilled network's.
func (t Trigger) wholeRouter() bool { return t == TriggerPowerOff || t == TriggerLinkDown }

// returns says whether the failed master comes back during the measure
// phase by itself (healed: partition, stun), so that the drill measures
// the split brain that follows and the restore has nothing to undo.
func (t Trigger) returns() bool { return t == TriggerPartition || t == TriggerStun }

// CheckStun checks a stun duration (--duration).
func CheckStun(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("stun duration %s: want more than 0, e.g. %s", d, DefaultStun)
	}
	return nil
}

// Action is the trigger whose action t takes in an Env: link-down acts as
// nic-disconnect does (the two differ in what the drill expects).
func (t Trigger) Action() Trigger {
	if t == TriggerLinkDown {
		return TriggerNICDisconnect
	}
	return t
}

// Network is what a drill needs to know of one CARP network.
type Network struct {
	Name string
	VHID uint8
	// VIP is the address the prober asks for (the network's first VIP).
	VIP     netip.Addr
	AdvBase uint8
	// BackupSkew is the advskew of the router expected to take over.
	BackupSkew uint8
	// Routers are the pair's router names, the preferred master first.
	Routers []string
	// Preempt says the preferred master takes the VIP back when it
	// returns (failback), which the restore phase then waits for.
	Preempt bool
	// Groups are every CARP group of the network, the drilled one (VHID)
	// first, each with its preferred master: the network's part of the
	// pair's ownership map (empty: the drilled group alone).
	Groups []GroupPlan
}

// GroupPlan is one CARP group as planned: its vhid, the router that should
// hold it, and the master-down of the router that takes it over.
type GroupPlan struct {
	VHID       uint8
	Preferred  string
	MasterDown time.Duration
}

// MasterDown is the backup's theoretical takeover time, the carp
// package's rule: 3*advbase + advskew/256 seconds (FreeBSD ip_carp.c), or
// 3*advskew/256 seconds with advbase 0 (OpenBSD's sub-second mode).
func (n Network) MasterDown() time.Duration {
	return carp.MasterDown(n.AdvBase, int(n.BackupSkew))
}

// interval is the slowest advertisement interval of the pair: the
// backup's, advbase + advskew/256 (at least 1/256 s with advbase 0).
func (n Network) interval() time.Duration {
	return carp.Interval(n.AdvBase, int(n.BackupSkew))
}

// Env is what a drill drives and observes: the lab, or vSphere with a
// witness interface. Every method names the network it acts on.
type Env interface {
	// Target names what is drilled, for reports ("lab cvl-", a URL).
	Target() string
	// Pair names the router pair; the lock and the history key on it.
	Pair() string
	// Gate checks that the pair is fit to drill (preflight, lab health);
	// it returns a one-line detail either way.
	Gate(ctx context.Context, n Network) (string, error)
	// Observe starts the witness and the prober on n's segment.
	Observe(ctx context.Context, n Network) (Observer, error)
	// RouterName names the router advertising from src on n; "" when
	// unknown.
	RouterName(n Network, src netip.Addr) string
	// VIPMAC is the MAC that should answer n's VIP when router is master
	// (nil when it cannot be known).
	VIPMAC(ctx context.Context, n Network, router string) net.HardwareAddr
	// Trigger makes router, the master, fail on n; Undo reverses it
	// (reconnect, power on, un-demote, heal) and must be safe to call
	// after a Trigger that failed half-way.
	Trigger(ctx context.Context, t Trigger, n Network, router string) error
	Undo(ctx context.Context, t Trigger, n Network, router string) error
	// Relearned says whether frames to mac now reach router (the switch
	// relearned the VIP's MAC), with a detail.
	Relearned(ctx context.Context, n Network, mac net.HardwareAddr, router string, m Measurement) (bool, string, error)
	// Describe says in words what Trigger and Undo would do, for
	// --dry-run and reports.
	Describe(t Trigger, n Network, router string) (trigger, undo string)
}

// Explainer is an Env that can say why CARP fails on a network in its own
// terms (the lab: its vSwitch model), each cause naming the check that
// predicted it. A failed drill on such an Env carries the causes.
type Explainer interface {
	// Explain lists the causes on n; master, when known, is the router
	// that held the VIP.
	Explain(n Network, master string) []string
}

// Observer records what the witness and the prober see on a segment.
type Observer interface {
	// Events returns a copy of the events so far, in time order.
	Events() []Event
	// Mark records a drill mark at the current time.
	Mark(name string)
	Close() error
}

// Recorder is an Observer's event log, safe for concurrent use. Packet
// observers add to it; tests feed it synthetic events.
type Recorder struct {
	mu     sync.Mutex
	events []Event
	now    func() time.Time
}

// NewRecorder returns an empty log whose marks use now (time.Now if nil).
func NewRecorder(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{now: now}
}

// Add records e, keeping the log in time order.
func (r *Recorder) Add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := len(r.events)
	for i > 0 && r.events[i-1].At.After(e.At) {
		i--
	}
	r.events = slices.Insert(r.events, i, e)
}

// Events implements Observer.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Mark implements Observer.
func (r *Recorder) Mark(name string) { r.Add(Event{At: r.now(), Kind: KindMark, Mark: name}) }

// Close implements Observer.
func (r *Recorder) Close() error { return nil }

// markTime returns the time of the last mark named name, zero if none.
func markTime(events []Event, name string) time.Time {
	var t time.Time
	for _, e := range events {
		if e.Kind == KindMark && e.Mark == name {
			t = e.At
		}
	}
	return t
}
