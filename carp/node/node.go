package node

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/transition"
)

// DefaultRejectLogInterval is how often rejected adverts are summarised in
// the log (one line per group per interval, never one per packet).
const DefaultRejectLogInterval = 10 * time.Second

// Options are a Node's dependencies. Only Groups is required; the rest
// default to the Linux implementations.
type Options struct {
	Groups []Group
	Log    *slog.Logger
	Clock  Clock
	// OpenUnicast opens what sends an interface's unicast adverts to
	// peers, from self (IPv4) and self6 (default: raw IP sockets, so the
	// kernel resolves the peer's MAC).
	OpenUnicast func(iface string, self, self6 netip.Addr) (UnicastSender, error)
	// OpenLink opens the frame link of an interface (default: an
	// AF_PACKET socket ignoring this host's outgoing frames).
	OpenLink func(iface string) (Link, error)
	// NewVIPs returns the VIP holder of a group (default: NetlinkVIPs).
	NewVIPs func(g Group, log *slog.Logger) VIPHolder
	// SourceAddr returns the IPv4 address adverts are sent from on iface
	// (default: the interface's first IPv4 address that is not a VIP). It
	// is only asked for an interface with a group that has IPv4 VIPs.
	SourceAddr func(iface string, vips []netip.Addr) (netip.Addr, error)
	// SourceAddr6 returns the IPv6 address adverts are sent from on iface
	// (default: InterfaceLinkLocal, the interface's link-local address
	// that is not a VIP, as FreeBSD sends them). It is only asked for an
	// interface with a group that has IPv6 VIPs.
	SourceAddr6 func(iface string, vips []netip.Addr) (netip.Addr, error)
	// IPv6Forwarding reports whether iface forwards IPv6, which sets the
	// Router flag of the neighbour advertisements (default: the sysctl
	// net.ipv6.conf.<iface>.forwarding).
	IPv6Forwarding func(iface string) bool
	// RunScript runs an up/down script (default: exec with a timeout).
	RunScript func(ctx context.Context, path string, args, env []string) ([]byte, error)
	// Rand seeds the advert counters (default: crypto/rand).
	Rand io.Reader
	// RejectLogInterval (default DefaultRejectLogInterval).
	RejectLogInterval time.Duration
	// ReplayState returns the file that keeps a group's replay memory
	// across restarts (Paths.ReplayState); nil or "" keeps it in memory
	// only. It is loaded at start, written every ReplayFlushInterval when
	// it changed, and at stop.
	ReplayState func(g Group) string
	// ReplayFlushInterval (default DefaultReplayFlushInterval).
	ReplayFlushInterval time.Duration

	// LinkTracking fails the node over as a whole router when an interface
	// carrying groups loses its link (FreeBSD's default): its groups
	// leave, and every other group is demoted by carp.DemotionFactor.
	LinkTracking bool
	// WatchLinks reports link states (default: NetlinkLinks).
	WatchLinks LinkWatcher
	// PreemptDelay holds preemption back after start (carp.Config).
	PreemptDelay time.Duration
	// Tracks demote the whole router while they fail.
	Tracks []Track
	// RunCommand runs a command track (default: sh -c in its own process
	// group, killed at the timeout, output bounded to MaxTrackOutput).
	RunCommand func(ctx context.Context, command string) ([]byte, error)
	// Name is this router's name, to tell in status which groups it is
	// the preferred master of (Group.Preferred).
	Name string
	// DropImagePages, once set up, gives back the pages of the
	// executable's image that start-up mapped (Linux: MADV_PAGEOUT), so
	// that a node in the one carpvm binary does not stay resident with
	// the code of every command; what the node runs faults back in.
	DropImagePages bool
	// NoFreezeReannounce keeps a node that finds it was frozen from
	// announcing its VIPs at once (see thawed): only to show, in a drill,
	// the black hole that the re-announce prevents.
	NoFreezeReannounce bool
	// Transitions, when set, gets every state change as a
	// carpvm.transition/v1 line (transitionlog.go).
	Transitions *transition.Writer
}

// Node runs CARP groups over the interfaces' links: one reader goroutine
// per link, and one loop that owns every Machine (no locks around them).
type Node struct {
	opts   Options
	log    *slog.Logger
	clock  Clock
	groups []*group
	links  map[string]*ifLink
	router *carp.Router
	tracks []trackState

	rx       chan *rxBatch
	trackRes chan trackResult
	ctl      chan ctlRequest
	done     chan struct{}

	// clockJumps counts the freezes found (thawed); lastClockJump is the
	// latest.
	clockJumps    uint64
	lastClockJump *ClockJump
}

// ifLink is an interface's link and what is counted on it outside groups.
type ifLink struct {
	name  string
	link  Link
	self  netip.Addr // IPv4 advert source (when a group has IPv4 VIPs)
	self6 netip.Addr // IPv6 advert source, link-local (when a group has IPv6 VIPs)
	// unicast sends the adverts of groups with a peer (nil without one).
	unicast UnicastSender
	groups  map[uint8]*group
	// Frames that reached no group.
	badFrame, otherVHID, otherVLAN uint64
	// dropped is the link's last count of frames it had no room for.
	dropped uint64
}

type group struct {
	cfg   Group
	m     *carp.Machine
	link  *ifLink
	vips  VIPHolder
	hooks *hookRunner
	log   *slog.Logger

	loggedRejects carp.RejectCounts
	sendErrs      uint64
	// replayPath keeps the replay memory and the advert counter ("" : not
	// kept); savedAt is the Received count it was last written at, and
	// reserved the counter it says this run may not reach (see reserve).
	replayPath string
	savedAt    uint64
	reserved   uint64
}

// New checks opts and returns a Node; Run opens the links.
func New(opts Options) (*Node, error) {
	if len(opts.Groups) == 0 {
		return nil, errors.New("node: no CARP group to run")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.OpenLink == nil {
		opts.OpenLink = func(iface string) (Link, error) {
			return OpenPacketLink(iface, LinkOptions{IgnoreOutgoing: true, VLANTags: true, Ring: true})
		}
	}
	if opts.OpenUnicast == nil {
		opts.OpenUnicast = OpenRawUnicast
	}
	if opts.NewVIPs == nil {
		opts.NewVIPs = defaultVIPs
	}
	if opts.SourceAddr == nil {
		opts.SourceAddr = InterfaceSourceAddr
	}
	if opts.SourceAddr6 == nil {
		opts.SourceAddr6 = InterfaceLinkLocal
	}
	if opts.IPv6Forwarding == nil {
		opts.IPv6Forwarding = ipv6Forwarding
	}
	if opts.RunScript == nil {
		opts.RunScript = execScript
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.RejectLogInterval <= 0 {
		opts.RejectLogInterval = DefaultRejectLogInterval
	}
	if opts.ReplayState == nil {
		opts.ReplayState = func(Group) string { return "" }
	}
	if opts.ReplayFlushInterval <= 0 {
		opts.ReplayFlushInterval = DefaultReplayFlushInterval
	}
	if opts.WatchLinks == nil {
		opts.WatchLinks = NetlinkLinks
	}
	if opts.RunCommand == nil {
		opts.RunCommand = runCommand
	}
	cfg := Config{Groups: opts.Groups, Tracks: opts.Tracks}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{
		opts:     opts,
		log:      opts.Log,
		clock:    opts.Clock,
		links:    map[string]*ifLink{},
		rx:       make(chan *rxBatch, rxBatches),
		trackRes: make(chan trackResult),
		ctl:      make(chan ctlRequest),
		done:     make(chan struct{}),
	}
	for _, t := range opts.Tracks {
		n.tracks = append(n.tracks, trackState{Track: t})
	}
	return n, nil
}

// Run opens the links, cleans up what a previous run may have left, runs
// the groups until ctx ends, then stops them (a MASTER bows out and
// releases its VIPs) and returns. It returns early with an error when the
// set-up fails, after undoing what it did.
func (n *Node) Run(ctx context.Context) (err error) {
	defer close(n.done)
	defer func() {
		for _, l := range n.links {
			l.link.Close()
			if l.unicast != nil {
				l.unicast.Close()
			}
		}
	}()
	if err := n.setup(); err != nil {
		return err
	}
	if n.opts.DropImagePages {
		n.dropImagePages()
		// Again once settled: pages that another process mapped too at
		// start (a `carpvm node status` asking meanwhile) are not
		// reclaimed while it runs.
		go func() {
			select {
			case <-time.After(imageSettleTime):
				n.dropImagePages()
			case <-ctx.Done():
			}
		}()
	}
	var readers sync.WaitGroup
	for _, l := range n.links {
		readers.Add(1)
		go func() {
			defer readers.Done()
			n.read(l)
		}()
	}
	hooksDone := n.startHooks()
	linkCtx, stopLinks := context.WithCancel(ctx)
	defer stopLinks()
	linkChanges, err := n.startLinks(linkCtx)
	if err != nil {
		n.log.Error("link tracking is off: cannot watch the links", "err", err)
	}
	tracksDone := n.runTracks(ctx)

	n.performAll(n.router.Start(n.clock.Now()))
	n.loop(ctx, linkChanges)

	n.performAll(n.router.Stop(n.clock.Now()))
	for _, g := range n.groups {
		g.saveStopped()
	}
	stopLinks()
	tracksDone()
	for _, l := range n.links {
		l.link.Close()
	}
	// Drain the readers so that they can exit.
	go func() {
		for b := range n.rx {
			b.release()
		}
	}()
	readers.Wait()
	close(n.rx)
	for _, g := range n.groups {
		g.hooks.close()
	}
	hooksDone()
	return nil
}

// imageSettleTime is when a node gives back its executable's pages a
// second time (DropImagePages).
const imageSettleTime = 10 * time.Second

func (n *Node) dropImagePages() {
	if size, err := dropImagePages(); err != nil {
		n.log.Debug("start-up pages of the executable kept", "err", err)
	} else {
		n.log.Debug("start-up pages of the executable given back", "mapped_bytes", size)
	}
}

// setup opens one link per interface and makes the machines.
func (n *Node) setup() error {
	has4, has6 := familiesByInterface(n.opts.Groups)
	for _, gc := range n.opts.Groups {
		l, ok := n.links[gc.Interface]
		if !ok {
			link, err := n.opts.OpenLink(gc.Interface)
			if err != nil {
				return err
			}
			l = &ifLink{name: gc.Interface, link: link, groups: map[uint8]*group{}}
			n.links[gc.Interface] = l
			if has4[gc.Interface] {
				self, err := n.opts.SourceAddr(gc.Interface, allVIPs(n.opts.Groups))
				if err != nil {
					return err
				}
				l.self = self
			}
			if has6[gc.Interface] {
				self6, err := n.opts.SourceAddr6(gc.Interface, allVIPs(n.opts.Groups))
				if err != nil {
					return err
				}
				l.self6 = self6
			}
		}
		log := n.log.With("vhid", gc.VHID, "iface", gc.Interface)
		g := &group{cfg: gc, link: l, log: log, replayPath: n.opts.ReplayState(gc)}
		mem, counter := g.loadReplay()
		if counter == 0 {
			var seed [8]byte
			if _, err := io.ReadFull(n.opts.Rand, seed[:]); err != nil {
				return fmt.Errorf("node: random advert counter: %w", err)
			}
			// Leave room below 2^64 so the counter never wraps in practice.
			counter = binary.BigEndian.Uint64(seed[:]) >> 1
		}
		m, err := carp.NewMachine(carp.Config{
			VHID: gc.VHID, AdvBase: gc.AdvBase, AdvSkew: gc.AdvSkew, Preempt: gc.Preempt, PreemptDelay: n.opts.PreemptDelay,
			VIPs: gc.Addrs(), Key: gc.Key, Self: l.self, Self6: l.self6,
			Counter: counter,
			Version: gc.Version, Priority: gc.Priority, Interval: gc.Interval, VRRPChecksum: vrrpChecksum(gc),
			Peer: gc.Peer, Peer6: gc.Peer6,
		})
		if err != nil {
			return fmt.Errorf("node: vhid %d on %s: %w", gc.VHID, gc.Interface, err)
		}
		if gc.Unicast() && l.unicast == nil {
			if l.unicast, err = n.opts.OpenUnicast(gc.Interface, l.self, l.self6); err != nil {
				return fmt.Errorf("node: vhid %d on %s: unicast adverts: %w", gc.VHID, gc.Interface, err)
			}
		}
		g.m = m
		g.restoreReplay(mem)
		if gc.ManageVIPs {
			g.vips = n.opts.NewVIPs(gc, log)
			if err := g.vips.Prepare(); err != nil {
				return err
			}
		}
		l.groups[gc.VHID] = g
		n.groups = append(n.groups, g)
	}
	rgs := make([]carp.RouterGroup, len(n.groups))
	for i, g := range n.groups {
		rgs[i] = carp.RouterGroup{Interface: g.cfg.Interface, Machine: g.m}
	}
	n.router = carp.NewRouter(rgs)
	return nil
}

// familiesByInterface says, per interface, whether a group there has IPv4
// VIPs and whether one has IPv6 VIPs (so that it needs an advert source of
// that family).
func familiesByInterface(groups []Group) (has4, has6 map[string]bool) {
	has4, has6 = map[string]bool{}, map[string]bool{}
	for _, g := range groups {
		for _, v := range g.VIPs {
			if v.Addr().Is4() {
				has4[g.Interface] = true
			} else {
				has6[g.Interface] = true
			}
		}
	}
	return has4, has6
}

func allVIPs(groups []Group) []netip.Addr {
	var out []netip.Addr
	for _, g := range groups {
		out = append(out, g.Addrs()...)
	}
	return out
}

// read is a link's reader goroutine: it parses frames and hands them to
// the loop in batches (all that one wake-up of the link brought); it ends
// when the link is closed.
func (n *Node) read(l *ifLink) {
	free := newRxBatches()
	b := <-free
	add := func(frame []byte, arrived time.Time) {
		if !b.add(l, frame, arrived) {
			n.rx <- b
			b = <-free
			b.add(l, frame, arrived)
		}
	}
	for {
		if err := readBatch(l.link, add); err != nil {
			return
		}
		if len(b.frames) > 0 {
			n.rx <- b
			b = <-free
		}
	}
}

// loop drives every machine from one goroutine until ctx ends; links are
// the watched interfaces' changes (nil: none).
func (n *Node) loop(ctx context.Context, links <-chan LinkEvent) {
	timer := n.clock.NewTimer(time.Hour)
	defer timer.Stop()
	summary := n.clock.NewTimer(n.opts.RejectLogInterval)
	defer summary.Stop()
	flush := n.clock.NewTimer(n.opts.ReplayFlushInterval)
	defer flush.Stop()
	for {
		n.arm(timer)
		select {
		case <-ctx.Done():
			return
		case b := <-n.rx:
			n.receiveBatch(b)
		case <-timer.C():
			now := n.clock.Now()
			// What arrived by now is heard before the timer acts: a master
			// due to advertise that has a better master's advert waiting
			// steps down rather than send one more advert (which would
			// move the virtual MAC back to it for an interval). Only the
			// batches queued now, so that a flood cannot hold the timers
			// off.
			if queued := len(n.rx); queued > 0 {
				for range queued {
					n.receiveBatch(<-n.rx)
				}
				now = n.clock.Now()
			}
			late, frozen := n.frozenFor(now)
			for _, g := range n.groups {
				if frozen {
					// A frozen backup missed the adverts, not the master.
					g.m.Thawed(now)
				}
				if d := g.m.Deadline(); !d.IsZero() && !now.Before(d) {
					n.perform(g, g.m.Tick(now))
				}
			}
			if frozen {
				n.thawed(now, late)
			}
		case <-summary.C():
			n.logRejects()
			summary.Reset(n.opts.RejectLogInterval)
		case <-flush.C():
			for _, g := range n.groups {
				g.saveReplay()
			}
			flush.Reset(n.opts.ReplayFlushInterval)
		case req := <-n.ctl:
			req.reply <- n.control(req.req)
		case ev, ok := <-links:
			if !ok {
				n.log.Error("link tracking stopped: the link watch ended")
				links = nil
				continue
			}
			n.linkEvent(ev)
		case r := <-n.trackRes:
			n.trackResult(r)
		}
	}
}

// arm sets timer to the earliest machine deadline.
func (n *Node) arm(timer Timer) {
	var next time.Time
	for _, g := range n.groups {
		if d := g.m.Deadline(); !d.IsZero() && (next.IsZero() || d.Before(next)) {
			next = d
		}
	}
	d := time.Hour
	if !next.IsZero() {
		d = max(next.Sub(n.clock.Now()), 0)
	}
	if !timer.Stop() {
		select {
		case <-timer.C():
		default:
		}
	}
	timer.Reset(d)
}

// receiveBatch hands a batch of frames to their groups' machines, with one
// clock reading for the batch: a flood's frames come in hundreds per
// wake-up.
func (n *Node) receiveBatch(b *rxBatch) {
	now, wall := n.clock.Now(), time.Now()
	for _, rf := range b.frames {
		n.receive(rf, rf.judgedAt(now, wall))
	}
	b.release()
}

// receive hands a frame to its group's machine as of at.
func (n *Node) receive(rf rxFrame, at time.Time) {
	l := rf.link
	if rf.err != nil {
		l.badFrame++
		n.log.Debug("dropped a malformed protocol-112 frame", "iface", l.name, "err", rf.err)
		return
	}
	f := rf.frame
	if f.VLAN != 0 {
		// Tagged for another VLAN (the interface is untagged; VLAN 0 is a
		// priority tag of this one): a group of that VLAN, not ours, even
		// with our vhid and key.
		l.otherVLAN++
		return
	}
	if len(f.Payload) < 2 {
		l.badFrame++
		return
	}
	g, ok := l.groups[f.Payload[1]]
	if !ok {
		// Another group on the segment (or a VRRP router): not ours.
		l.otherVHID++
		return
	}
	n.perform(g, g.m.Step(at, carp.Received{Src: f.Src, Dst: f.Dst, TTL: f.TTL, Payload: f.Payload}))
}

// logRejects writes one summary line per group that rejected adverts since
// the last summary.
func (n *Node) logRejects() {
	for _, g := range n.groups {
		st := g.m.Status()
		d := st.Rejected.Sub(g.loggedRejects)
		g.loggedRejects = st.Rejected
		total := d.Total()
		if total == 0 {
			continue
		}
		attrs := []any{"count", total, "interval", n.opts.RejectLogInterval.String(), "last_src", st.LastReject.Src.String()}
		for _, r := range carp.Rejects() {
			if c := d.Of(r); c > 0 {
				attrs = append(attrs, r.String(), c)
			}
		}
		g.log.Warn(fmt.Sprintf("rejected %d adverts in last %s", total, n.opts.RejectLogInterval), attrs...)
	}
}
