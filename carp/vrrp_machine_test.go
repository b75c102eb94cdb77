package carp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var vrrpVIPs = []netip.Addr{netip.MustParseAddr("172.27.27.14")}

// newVRRPNetwork builds two VRRPv3 machines: node 0 priority 254 (the
// preferred master), node 1 priority 154, 1 s interval, preempting.
func newVRRPNetwork(t *testing.T, cfg func(i int, c *Config)) *network {
	return newNetwork(t, 2, func(i int, c *Config) {
		c.Version, c.Priority, c.Interval, c.Preempt = VRRPVersion, []uint8{254, 154}[i], 100, true
		c.VIPs, c.Key = vrrpVIPs, Key{}
		if cfg != nil {
			cfg(i, c)
		}
	})
}

// TestVRRPHigherPriorityWins: both start as BACKUP; the higher priority's
// shorter Skew_Time makes it MASTER first, and the other follows it.
func TestVRRPHigherPriorityWins(t *testing.T) {
	nw := newVRRPNetwork(t, nil)
	nw.startAll()
	nw.run(VRRPMasterDown(254, 100) + 10*time.Millisecond)
	nw.wantMasters(0)
	nw.run(30 * sec)
	nw.wantMasters(0)
	if nw.transitions(1) != 1 {
		t.Errorf("node 1 made %d transitions, want 1 (INIT to BACKUP)", nw.transitions(1))
	}
	if st := nw.nodes[0].m.Status(); st.Version != VRRPVersion || st.Sent < 28 {
		t.Errorf("master status: version %d, %d adverts sent in 30 s", st.Version, st.Sent)
	}
}

// TestVRRPGracefulStopHandsOverAtSkew: a stopping master sends priority 0
// and the backup takes over after its Skew_Time, not Master_Down.
func TestVRRPGracefulStopHandsOverAtSkew(t *testing.T) {
	nw := newVRRPNetwork(t, nil)
	nw.startAll()
	nw.run(10 * sec)
	nw.wantMasters(0)
	stopAt := nw.now
	nw.stop(0)
	nw.run(5 * sec)
	nw.wantMasters(1)
	got := nw.nodes[1].transT[len(nw.nodes[1].transT)-1].Sub(stopAt)
	if want := VRRPSkew(154, 100); got != want {
		t.Errorf("takeover %v after the stop, want Skew_Time %v", got, want)
	}
}

// TestVRRPCrashAndPreempt: a crashed master is replaced at Master_Down;
// when it comes back it preempts (after a master-down of its own, as RFC
// 9568 says) and the other steps down: one master at every instant after.
func TestVRRPCrashAndPreempt(t *testing.T) {
	nw := newVRRPNetwork(t, nil)
	nw.startAll()
	nw.run(10 * sec)
	nw.crash(0)
	crashAt := nw.now
	nw.run(10 * sec)
	nw.wantMasters(1)
	took := nw.nodes[1].transT[len(nw.nodes[1].transT)-1].Sub(crashAt)
	if md := VRRPMasterDown(154, 100); took > md || took < md-sec {
		t.Errorf("takeover %v after the crash, want within the last interval before Master_Down %v", took, md)
	}
	nw.nodes[0].m.Stop(nw.now)
	nw.start(0)
	for range 100 {
		nw.run(100 * time.Millisecond)
		if m := nw.masters(); len(m) > 1 {
			t.Fatalf("at %v: two masters %v", nw.now.Sub(t0), m)
		}
	}
	nw.wantMasters(0)
}

func TestVRRPNoPreemptKeepsTheMaster(t *testing.T) {
	nw := newVRRPNetwork(t, func(i int, c *Config) { c.Preempt = false })
	nw.startAll()
	nw.run(10 * sec)
	nw.crash(0)
	nw.run(10 * sec)
	nw.nodes[0].m.Stop(nw.now)
	nw.start(0)
	nw.run(30 * sec)
	nw.wantMasters(1)
}

// TestVRRPDemotionHandsOver: a demoted master advertises a lower priority
// and the preempting backup takes the group; undemoted, it takes it back.
func TestVRRPDemotionHandsOver(t *testing.T) {
	nw := newVRRPNetwork(t, nil)
	nw.startAll()
	nw.run(10 * sec)
	nw.demote(0, DemotionFactor)
	if p := nw.nodes[0].m.priority(); p != 14 {
		t.Fatalf("demoted priority %d, want 254-240 = 14", p)
	}
	nw.run(5 * sec)
	nw.wantMasters(1)
	nw.demote(0, 0)
	nw.run(5 * sec)
	nw.wantMasters(0)
}

// TestVRRPBothDemotedStaysPut: both routers demoted at once (a switch both
// uplinks share went down) keep one master. A demoted priority never
// reaches 0 (VRRPDemotedPriority): a master advertising 0 would hand the
// group to a backup demoted as far at every advert, and the group would
// change hands every interval.
func TestVRRPBothDemotedStaysPut(t *testing.T) {
	nw := newVRRPNetwork(t, nil)
	nw.startAll()
	nw.run(10 * sec)
	nw.demote(0, 255)
	nw.demote(1, 255)
	nw.run(5 * sec)
	moves := len(nw.nodes[0].transT) + len(nw.nodes[1].transT)
	nw.run(30 * sec)
	if got := len(nw.nodes[0].transT) + len(nw.nodes[1].transT) - moves; got != 0 {
		t.Errorf("%d transitions in 30 s with both routers demoted, want none", got)
	}
	if m := nw.masters(); len(m) != 1 {
		t.Errorf("masters %v with both routers demoted, want one", m)
	}
}

// TestVRRPEqualPriorityTieBreak: two masters of equal priority (a healed
// partition) keep the one with the greater address (RFC 9568 §6.4.3).
func TestVRRPEqualPriorityTieBreak(t *testing.T) {
	nw := newVRRPNetwork(t, func(i int, c *Config) { c.Priority = 100 })
	nw.isolate(0)
	nw.startAll()
	nw.run(10 * sec)
	nw.wantMasters(0, 1)
	nw.heal()
	nw.run(3 * sec)
	nw.wantMasters(1) // 172.27.27.12 > 172.27.27.11
}

func TestVRRPOwnerIsMasterAtOnce(t *testing.T) {
	nw := newVRRPNetwork(t, func(i int, c *Config) {
		if i == 0 {
			c.Priority = VRRPPriorityOwner
		}
	})
	nw.start(0)
	nw.wantMasters(0)
}

// TestVRRPMachineRejections: a CARP advert on a VRRPv3 group and the reverse, a
// broken checksum, a unicast advert from another address than the peer and
// a routed multicast one are counted by reason and change nothing.
func TestVRRPMachineRejections(t *testing.T) {
	peer := netip.MustParseAddr("172.27.27.12")
	stranger := netip.MustParseAddr("172.27.27.99")
	good, _ := (&VRRPAdvert{VRID: 1, Priority: 255, Interval: 100, Addrs: vrrpVIPs}).AppendBinary(nil, peer, GroupV4, VRRPChecksumPseudoHeader)
	carpAdvert, _ := (&Advert{VHID: 1, AdvBase: 1}).MarshalBinary()
	bad := append([]byte(nil), good...)
	bad[6] ^= 1
	uni, _ := (&VRRPAdvert{VRID: 1, Priority: 255, Interval: 100, Addrs: vrrpVIPs}).AppendBinary(nil, stranger, netip.MustParseAddr("172.27.27.11"), VRRPChecksumPseudoHeader)

	newM := func(c Config) *Machine {
		m, err := NewMachine(c)
		if err != nil {
			t.Fatal(err)
		}
		m.Start(t0)
		m.Tick(t0.Add(10 * sec)) // MASTER: a wrong acceptance would make it step down
		if m.State() != Master {
			t.Fatalf("state %v", m.State())
		}
		return m
	}
	vrrp := Config{VHID: 1, Version: VRRPVersion, Priority: 100, Interval: 100, VIPs: vrrpVIPs, Self: netip.MustParseAddr("172.27.27.11")}
	for _, tc := range []struct {
		name string
		cfg  Config
		r    Received
		want Reject
	}{
		{"CARP advert on a VRRPv3 group", vrrp, Received{Src: peer, TTL: 255, Payload: carpAdvert}, RejectVersion},
		{"bad checksum", vrrp, Received{Src: peer, TTL: 255, Payload: bad}, RejectChecksum},
		{"routed multicast", vrrp, Received{Src: peer, TTL: 64, Payload: good}, RejectTTL},
		{"unicast from a stranger", func() Config { c := vrrp; c.Peer = peer; return c }(),
			Received{Src: stranger, Dst: netip.MustParseAddr("172.27.27.11"), TTL: 64, Payload: uni}, RejectPeer},
		{"VRRPv3 advert on a CARP group", Config{VHID: 1, AdvBase: 1, VIPs: vrrpVIPs, Key: netKey(t)},
			Received{Src: peer, TTL: 255, Payload: good}, RejectVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newM(tc.cfg)
			if acts := m.Step(t0.Add(11*sec), tc.r); len(acts) != 0 || m.State() != Master {
				t.Errorf("actions %v, state %v; want none and MASTER", acts, m.State())
			}
			if st := m.Status(); st.Rejected.Of(tc.want) != 1 || st.Rejected.Total() != 1 {
				t.Errorf("rejected %v, want one %v", st.Rejected, tc.want)
			}
		})
	}
	// A unicast advert from the peer is accepted whatever its TTL
	// (FreeBSD does not check it for unicast), and it wins.
	c := vrrp
	c.Peer = peer
	m := newM(c)
	fromPeer, _ := (&VRRPAdvert{VRID: 1, Priority: 200, Interval: 100, Addrs: vrrpVIPs}).AppendBinary(nil, peer, netip.MustParseAddr("172.27.27.11"), VRRPChecksumPseudoHeader)
	m.Step(t0.Add(11*sec), Received{Src: peer, Dst: netip.MustParseAddr("172.27.27.11"), TTL: 63, Payload: fromPeer})
	if m.State() != Backup || m.Status().Rejected.Total() != 0 {
		t.Errorf("state %v, rejected %v; want BACKUP, nothing rejected", m.State(), m.Status().Rejected)
	}
}

// TestUnicastCARPFailsOver: two CARP machines advertising to each other's
// address (FreeBSD 14 peer), the adverts addressed to the peer.
func TestUnicastCARPFailsOver(t *testing.T) {
	addrs := []netip.Addr{netip.MustParseAddr("172.27.27.11"), netip.MustParseAddr("172.27.27.12")}
	nw := newNetwork(t, 2, func(i int, c *Config) {
		c.VIPs, c.AdvSkew, c.Preempt, c.Peer = vrrpVIPs, []uint8{0, 100}[i], true, addrs[1-i]
	})
	var dsts []netip.Addr
	nw.startAll()
	nw.run(10 * sec)
	nw.wantMasters(0)
	for _, r := range nw.sniffed[0] {
		dsts = append(dsts, r.Dst)
	}
	if len(dsts) == 0 || dsts[0] != addrs[1] {
		t.Errorf("master's adverts went to %v, want the peer %v", dsts, addrs[1])
	}
	nw.crash(0)
	nw.run(10 * sec)
	nw.wantMasters(1)
}

func TestVRRPConfigRefused(t *testing.T) {
	self := netip.MustParseAddr("172.27.27.11")
	base := Config{VHID: 1, Version: VRRPVersion, Priority: 100, Interval: 100, VIPs: vrrpVIPs, Self: self}
	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"version 4":      {func(c *Config) { c.Version = 4 }, "want 2 (CARP) or 3 (VRRPv3)"},
		"priority 0":     {func(c *Config) { c.Priority = 0 }, "priority 0"},
		"interval 0":     {func(c *Config) { c.Interval = 0 }, "interval 0 cs"},
		"interval 4096":  {func(c *Config) { c.Interval = 4096 }, "interval 4096 cs"},
		"no source":      {func(c *Config) { c.Self = netip.Addr{} }, "want Self (IPv4)"},
		"mixed families": {func(c *Config) { c.VIPs = netVIPs }, "one family"},
		"peer multicast": {func(c *Config) { c.Peer = GroupV4 }, "not a unicast IPv4"},
		"peer6 of IPv4":  {func(c *Config) { c.Peer6 = self }, "not a unicast IPv6"},
	} {
		c := base
		tc.mutate(&c)
		_, err := NewMachine(c)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an ErrConfig error with %q", name, err, tc.want)
		}
	}
}

// TestUnicastMasterRefreshesGARP: a unicast master repeats its gratuitous
// ARPs every UnicastGARPRefresh, as its adverts do not come from the
// virtual MAC; a multicast master sends two and stops.
func TestUnicastMasterRefreshesGARP(t *testing.T) {
	for _, tc := range []struct {
		name string
		peer netip.Addr
		want int
	}{
		{"multicast", netip.Addr{}, 2},
		{"unicast", netip.MustParseAddr("172.27.27.12"), 2 + 4}, // then at 15, 25, 35 and 45 s
	} {
		t.Run(tc.name, func(t *testing.T) {
			nw := newNetwork(t, 1, func(i int, c *Config) { c.VIPs, c.Peer = vrrpVIPs, tc.peer })
			nw.startAll()
			nw.run(4 * sec) // MASTER at master-down, the second GARP two intervals later
			nw.wantMasters(0)
			nw.run(50*sec + 500*time.Millisecond)
			if got := nw.nodes[0].garps; got != tc.want {
				t.Errorf("%d gratuitous ARPs in 54.5 s, want %d", got, tc.want)
			}
		})
	}
}
