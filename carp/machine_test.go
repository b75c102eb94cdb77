package carp

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewMachineValidates(t *testing.T) {
	k := netKey(t)
	vips := []netip.Addr{netip.MustParseAddr("10.0.0.1")}
	tests := map[string]Config{
		"vhid 0":        {VHID: 0, AdvBase: 1, VIPs: vips, Key: k},
		"advskew 255":   {VHID: 1, AdvBase: 1, AdvSkew: 255, VIPs: vips, Key: k},
		"no VIP":        {VHID: 1, AdvBase: 1, Key: k},
		"zero VIP":      {VHID: 1, AdvBase: 1, VIPs: []netip.Addr{{}}, Key: k},
		"multicast VIP": {VHID: 1, AdvBase: 1, VIPs: []netip.Addr{GroupV4}, Key: k},
	}
	for name, c := range tests {
		if _, err := NewMachine(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: error %v, want ErrConfig", name, err)
		}
	}
	if _, err := NewMachine(Config{VHID: 255, AdvBase: 0, AdvSkew: 254, VIPs: vips, Key: k}); err != nil {
		t.Errorf("vhid 255, advbase 0, advskew 254: %v", err)
	}
}

func TestMachineLifecycle(t *testing.T) {
	m, err := NewMachine(Config{VHID: 3, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: netKey(t), Counter: 10})
	if err != nil {
		t.Fatal(err)
	}
	if m.State() != Init || !m.Deadline().IsZero() || m.Tick(t0) != nil {
		t.Fatalf("fresh machine: %v, deadline %v", m.State(), m.Deadline())
	}
	if diff := cmp.Diff([]Action{Transition{Init, Backup, "started"}, ReleaseVIPs{}}, m.Start(t0)); diff != "" {
		t.Errorf("Start (-want +got):\n%s", diff)
	}
	if m.Start(t0) != nil {
		t.Error("second Start did something")
	}
	md := 3*sec + 100*sec/256
	if !m.Deadline().Equal(t0.Add(md)) {
		t.Errorf("deadline %v, want master-down %v", m.Deadline().Sub(t0), md)
	}
	if acts := m.Tick(t0.Add(md - 1)); acts != nil {
		t.Errorf("early Tick: %v", acts)
	}
	// netVIPs has an IPv4 and an IPv6 VIP: one advert per family, IPv4
	// first, each with its own counter (FreeBSD's carp_send_ad_locked).
	acts := m.Tick(t0.Add(md))
	if len(acts) != 5 {
		t.Fatalf("takeover actions %v", acts)
	}
	if tr, ok := acts[0].(Transition); !ok || tr.To != Master {
		t.Errorf("first action %v, want a transition to MASTER", acts[0])
	}
	for i, want := range []struct {
		counter uint64
		ipv6    bool
	}{{10, false}, {11, true}} {
		sa, ok := acts[1+i].(SendAdvert)
		if !ok || sa.Advert.Counter != want.counter || sa.IPv6 != want.ipv6 || sa.Advert.AdvSkew != 100 || sa.Advert.AdvBase != 1 {
			t.Errorf("action %d %+v, want the advert with counter %d, IPv6 %v", 1+i, acts[1+i], want.counter, want.ipv6)
			continue
		}
		var a Advert
		if err := a.UnmarshalBinary(sa.Payload); err != nil || a != sa.Advert {
			t.Errorf("payload decodes to %+v, %v", a, err)
		}
		if want := netKey(t).Sum(3, netVIPs, want.counter); a.HMAC != want {
			t.Errorf("advert HMAC does not verify")
		}
	}
	if diff := cmp.Diff([]Action{ClaimVIPs{}, SendGARP{}}, acts[3:]); diff != "" {
		t.Errorf("then (-want +got):\n%s", diff)
	}
	// Adverts every interval, the second GARP two intervals after takeover.
	iv := sec + 100*sec/256
	at := t0.Add(md)
	var kinds []string
	for range 3 {
		dl := m.Deadline()
		for _, a := range m.Tick(dl) {
			switch a := a.(type) {
			case SendAdvert:
				fam := "v4"
				if a.IPv6 {
					fam = "v6"
				}
				kinds = append(kinds, fam+"+"+dl.Sub(at).String()+"#"+string(rune('0'+a.Advert.Counter-10)))
			case SendGARP:
				kinds = append(kinds, "garp+"+dl.Sub(at).String())
			default:
				kinds = append(kinds, "unexpected")
			}
		}
	}
	want := []string{
		"v4+" + iv.String() + "#2", "v6+" + iv.String() + "#3",
		"v4+" + (2 * iv).String() + "#4", "v6+" + (2 * iv).String() + "#5", "garp+" + (2 * iv).String(),
		"v4+" + (3 * iv).String() + "#6", "v6+" + (3 * iv).String() + "#7",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("master timers (-want +got):\n%s", diff)
	}
	// Stop as MASTER: bow-out in both families, release.
	acts = m.Stop(t0.Add(time.Minute))
	if len(acts) != 4 {
		t.Fatalf("Stop: %v", acts)
	}
	for _, a := range acts[1:3] {
		bow := a.(SendAdvert).Advert
		if bow.AdvBase != 255 || bow.AdvSkew != 255 {
			t.Errorf("Stop: %+v is not a bow-out", a)
		}
	}
	if acts[1].(SendAdvert).IPv6 || !acts[2].(SendAdvert).IPv6 || acts[3] != (ReleaseVIPs{}) || m.State() != Init {
		t.Errorf("Stop: %+v, state %v", acts, m.State())
	}
	st := m.Status()
	if st.Sent != 10 || st.Transitions != 3 || st.LastTransition.To != Init {
		t.Errorf("status %+v", st)
	}
}

// A group of one family advertises in that family only.
func TestMachineAdvertFamilies(t *testing.T) {
	for _, tc := range []struct {
		vip  string
		ipv6 bool
	}{{"172.27.27.14", false}, {"2001:db8::14", true}, {"fe80::1", true}} {
		m, err := NewMachine(Config{VHID: 1, AdvBase: 1, VIPs: []netip.Addr{netip.MustParseAddr(tc.vip)}, Key: netKey(t),
			Self: netip.MustParseAddr("172.27.27.11"), Self6: netip.MustParseAddr("fe80::11")})
		if err != nil {
			t.Fatal(err)
		}
		m.Start(t0)
		var got []bool
		for _, a := range m.Tick(m.Deadline()) {
			if sa, ok := a.(SendAdvert); ok {
				got = append(got, sa.IPv6)
			}
		}
		if len(got) != 1 || got[0] != tc.ipv6 {
			t.Errorf("VIP %s: adverts with IPv6 = %v, want [%v]", tc.vip, got, tc.ipv6)
		}
		wantSelf := netip.MustParseAddr("172.27.27.11")
		if tc.ipv6 {
			wantSelf = netip.MustParseAddr("fe80::11")
		}
		if ms := m.Status().MasterSeen; ms != wantSelf {
			t.Errorf("VIP %s: master seen %v while MASTER, want our own %v", tc.vip, ms, wantSelf)
		}
	}
}

// A peer's IPv6 adverts are judged like IPv4 ones: accepted from a
// link-local source, refused with a hop limit below 255, and recognised as
// our own when they come from our link-local address.
func TestMachineIPv6Receive(t *testing.T) {
	key := netKey(t)
	self6 := netip.MustParseAddr("fe80::11")
	peer6 := netip.MustParseAddr("fe80::12")
	m, err := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: key,
		Self: netip.MustParseAddr("172.27.27.11"), Self6: self6, Counter: 1 << 50})
	if err != nil {
		t.Fatal(err)
	}
	m.Start(t0)
	m.Tick(m.Deadline())
	if m.State() != Master {
		t.Fatal("not MASTER")
	}
	adv := func(c uint64) []byte {
		a := Advert{VHID: 1, AdvBase: 1, Counter: c, HMAC: key.Sum(1, netVIPs, c)}
		b, _ := a.MarshalBinary()
		return b
	}
	now := t0.Add(10 * sec)
	for _, r := range []Received{
		{Src: peer6, TTL: 254, Payload: adv(7)},
		{Src: peer6, TTL: 1, Payload: adv(8)},
		{Src: self6, TTL: 255, Payload: adv(9)},
	} {
		if acts := m.Step(now, r); acts != nil || m.State() != Master {
			t.Fatalf("%+v changed the state: %v", r, acts)
		}
	}
	st := m.Status()
	if st.Rejected.Of(RejectTTL) != 2 || st.Rejected.Of(RejectEcho) != 1 {
		t.Errorf("rejections %+v, want 2 bad_ttl (hop limit) and 1 echo", st.Rejected)
	}
	// A FreeBSD peer with both families: IPv4 advert counter N, IPv6 N+1,
	// from two sources. Both are fresh; each replayed one is refused.
	v4 := Received{Src: netip.MustParseAddr("172.27.27.12"), TTL: 255, Payload: adv(100)}
	v6 := Received{Src: peer6, TTL: 255, Payload: adv(101)}
	m.Step(now, v4)
	if m.State() != Backup {
		t.Fatalf("an authentic faster IPv4 advert left us %v", m.State())
	}
	m.Step(now, v6)
	if got := m.Status().Received; got != 2 {
		t.Errorf("%d adverts accepted, want the IPv4 and the IPv6 one", got)
	}
	if ms := m.Status().MasterSeen; ms != peer6 {
		t.Errorf("master seen %v, want the IPv6 source %v", ms, peer6)
	}
	dl := m.Deadline()
	m.Step(now.Add(sec), v6)
	m.Step(now.Add(sec), v4)
	if got := m.Status().Rejected.Of(RejectReplay); got != 2 {
		t.Errorf("%d replays rejected, want 2", got)
	}
	if !m.Deadline().Equal(dl) {
		t.Error("a replayed advert re-armed the master-down timer")
	}
	// The next interval's pair is fresh again and re-arms the timer.
	m.Step(now.Add(sec), Received{Src: peer6, TTL: 255, Payload: adv(103)})
	if m.Status().Received != 3 || !m.Deadline().After(dl) {
		t.Errorf("fresh IPv6 advert: received %d, deadline moved %v", m.Status().Received, m.Deadline().Sub(dl))
	}
}

// TestEveryRejection sends one bad advert per reason, each of which would
// make the MASTER step down (or the BACKUP re-arm) if it were accepted.
func TestEveryRejection(t *testing.T) {
	key := netKey(t)
	peer := netip.MustParseAddr("172.27.27.12")
	self := netip.MustParseAddr("172.27.27.11")
	newM := func() *Machine {
		m, err := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: key, Self: self, Counter: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// better is an authentic advert, interval 1 s (shorter than ours).
	better := func(counter uint64) []byte {
		a := Advert{VHID: 1, AdvBase: 1, Counter: counter, HMAC: key.Sum(1, netVIPs, counter)}
		b, _ := a.MarshalBinary()
		return b
	}
	reseal := func(b []byte) []byte {
		b[6], b[7] = 0, 0
		c := Checksum(b[:HeaderLen])
		b[6], b[7] = byte(c>>8), byte(c)
		return b
	}
	otherKey, _ := NewKey([]byte("other"))
	otherVIP := Advert{VHID: 1, AdvBase: 1, Counter: 5, HMAC: key.Sum(1, netVIPs[:1], 5)}
	otherVIPb, _ := otherVIP.MarshalBinary()
	wrongKey := Advert{VHID: 1, AdvBase: 1, Counter: 5, HMAC: otherKey.Sum(1, netVIPs, 5)}
	wrongKeyb, _ := wrongKey.MarshalBinary()
	otherVHID := Advert{VHID: 2, AdvBase: 1, Counter: 5, HMAC: key.Sum(2, netVIPs, 5)}
	otherVHIDb, _ := otherVHID.MarshalBinary()

	for _, state := range []State{Master, Backup} {
		m := newM()
		m.Start(t0)
		if state == Master {
			m.Tick(m.Deadline())
		}
		// A first authentic advert from the peer, to replay below; as MASTER
		// it would step down, so feed it only to the BACKUP and a fresh
		// machine for the MASTER case.
		replayed := better(500)
		if state == Backup {
			m.Step(t0.Add(sec), Received{Src: peer, TTL: 255, Payload: replayed})
		} else {
			m.replay.accept(peer, 500, t0, sec)
		}
		echo := m.advert(1, 100, false).Payload // one of our own, reflected
		cases := []struct {
			reason Reject
			r      Received
		}{
			{RejectTTL, Received{Src: peer, TTL: 254, Payload: better(1)}},
			{RejectShort, Received{Src: peer, TTL: 255, Payload: better(2)[:35]}},
			{RejectChecksum, Received{Src: peer, TTL: 255, Payload: func() []byte { b := better(3); b[30] ^= 1; return b }()}},
			{RejectVersion, Received{Src: peer, TTL: 255, Payload: reseal(func() []byte { b := better(4); b[0] = 0x31; return b }())}},
			{RejectVersion, Received{Src: peer, TTL: 255, Payload: reseal(func() []byte { b := better(4); b[0] = 0x22; return b }())}},
			{RejectAuthLen, Received{Src: peer, TTL: 255, Payload: reseal(func() []byte { b := better(5); b[3] = 0; return b }())}},
			{RejectVHID, Received{Src: peer, TTL: 255, Payload: otherVHIDb}},
			{RejectHMAC, Received{Src: peer, TTL: 255, Payload: wrongKeyb}},
			{RejectHMAC, Received{Src: peer, TTL: 255, Payload: otherVIPb}},
			{RejectHMAC, Received{Src: peer, TTL: 255, Payload: reseal(func() []byte { b := better(6); b[15] ^= 1; return b }())}},
			{RejectEcho, Received{Src: self, TTL: 255, Payload: echo}},
			{RejectEcho, Received{Src: peer, TTL: 255, Payload: echo}}, // recognised by counter
			{RejectEcho, Received{Src: self, TTL: 255, Payload: better(7)}},
			{RejectReplay, Received{Src: peer, TTL: 255, Payload: replayed}},
			{RejectReplay, Received{Src: netip.MustParseAddr("172.27.27.99"), TTL: 255, Payload: replayed}},
		}
		for _, c := range cases {
			before := m.Status()
			dl := m.Deadline()
			now := t0.Add(2 * sec)
			if acts := m.Step(now, c.r); acts != nil {
				t.Errorf("%v, %v: actions %v", state, c.reason, acts)
			}
			after := m.Status()
			if m.State() != state || !m.Deadline().Equal(dl) {
				t.Errorf("%v, %v: state %v deadline %v, want unchanged", state, c.reason, m.State(), m.Deadline())
			}
			if got := after.Rejected.Of(c.reason) - before.Rejected.Of(c.reason); got != 1 {
				t.Errorf("%v, %v: counted %d times", state, c.reason, got)
			}
			if after.Rejected.Total()-before.Rejected.Total() != 1 || after.Received != before.Received {
				t.Errorf("%v, %v: other counters moved", state, c.reason)
			}
			if after.LastReject != (RejectRecord{At: now, Reason: c.reason, Src: c.r.Src}) {
				t.Errorf("%v: last reject %+v", state, after.LastReject)
			}
		}
		// And a fresh authentic advert is accepted.
		acts := m.Step(t0.Add(3*sec), Received{Src: peer, TTL: 255, Payload: better(501)})
		if m.Status().Received == 0 || m.State() != Backup {
			t.Errorf("%v: the authentic advert was not taken (%v)", state, acts)
		}
	}
}

func TestLowerSkewWins(t *testing.T) {
	skews := []uint8{200, 0, 100}
	nw := newNetwork(t, 3, func(i int, c *Config) { c.AdvSkew = skews[i] })
	nw.startAll()
	nw.run(10 * sec)
	nw.wantMasters(1)
	tr := [3]int{nw.transitions(0), nw.transitions(1), nw.transitions(2)}
	nw.run(time.Minute)
	nw.wantMasters(1)
	if got := [3]int{nw.transitions(0), nw.transitions(1), nw.transitions(2)}; got != tr {
		t.Errorf("transitions in steady state: %v then %v", tr, got)
	}
	if nw.nodes[1].garps != 1+1 {
		t.Errorf("master sent %d gratuitous ARPs, want 2 (takeover, two intervals later)", nw.nodes[1].garps)
	}
}

func TestEqualPrioritiesConverge(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		nw := newNetwork(t, n, func(i int, c *Config) { c.AdvSkew = 50 })
		nw.startAll()
		nw.run(30 * sec)
		if len(nw.masters()) != 1 {
			t.Fatalf("%d nodes: masters %v", n, nw.masters())
		}
		m := nw.masters()[0]
		nw.run(2 * time.Minute)
		nw.wantMasters(m)
	}
}

func TestPreempt(t *testing.T) {
	for _, preempt := range []bool{false, true} {
		nw := newNetwork(t, 2, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100}[i]; c.Preempt = preempt })
		nw.start(1)
		nw.run(10 * sec)
		nw.wantMasters(1)
		nw.start(0) // the preferred node comes back
		nw.run(30 * sec)
		if preempt {
			nw.wantMasters(0)
			if got := nw.nodes[0].transT[1].Sub(t0); got > 10*sec+2*sec {
				t.Errorf("preempted at %v, want at node 1's next advert", got)
			}
		} else {
			nw.wantMasters(1)
		}
	}
}

func TestDemotion(t *testing.T) {
	t.Run("clamp", func(t *testing.T) {
		m, _ := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: netKey(t)})
		for _, c := range []struct {
			d    uint8
			skew int
		}{{0, 100}, {20, 120}, {140, 240}, {200, 240}, {255, 240}} {
			m.SetDemotion(t0, c.d)
			if m.skew() != c.skew || m.Interval() != interval(1, c.skew) {
				t.Errorf("demotion %d: skew %d, want %d", c.d, m.skew(), c.skew)
			}
		}
		m2, _ := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 250, VIPs: netVIPs, Key: netKey(t)})
		m2.SetDemotion(t0, 10)
		if m2.skew() != 250 {
			t.Errorf("demotion lowered advskew 250 to %d", m2.skew())
		}
	})
	t.Run("preempting backup takes over from a demoted master", func(t *testing.T) {
		nw := newNetwork(t, 2, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100}[i]; c.Preempt = true })
		nw.startAll()
		nw.run(10 * sec)
		nw.wantMasters(0)
		nw.demote(0, 150) // 150 > 100: node 0 is now slower
		nw.wantMasters(1)
		nw.run(30 * sec)
		nw.wantMasters(1)
		nw.demote(0, 0) // a BACKUP again fit: preempts at node 1's next advert
		nw.run(2 * sec)
		nw.wantMasters(0)
	})
	t.Run("partial demotion without preempt keeps the master", func(t *testing.T) {
		nw := newNetwork(t, 2, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100}[i] })
		nw.startAll()
		nw.run(10 * sec)
		nw.demote(0, 150)
		nw.run(30 * sec)
		nw.wantMasters(0)
		var a Advert
		last := nw.sniffed[0][len(nw.sniffed[0])-1]
		if err := a.UnmarshalBinary(last.Payload); err != nil || a.AdvSkew != 150 || a.Demote != 0 {
			t.Errorf("demoted advert %+v (%v), want advskew 150, demote byte 0", a, err)
		}
	})
	t.Run("full demotion bows out", func(t *testing.T) {
		nw := newNetwork(t, 2, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100}[i] })
		nw.startAll()
		nw.run(10 * sec)
		at := nw.now
		nw.demote(0, 240)
		nw.wantMasters(1)
		if got := nw.nodes[1].transT[len(nw.nodes[1].transT)-1]; !got.Equal(at) {
			t.Errorf("backup took over at %v, want at once (%v)", got.Sub(t0), at.Sub(t0))
		}
		nw.run(30 * sec)
		nw.wantMasters(1)
	})
}

func TestOpenBSDDemoteByteHonoured(t *testing.T) {
	key := netKey(t)
	m, _ := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: key, Counter: 1})
	m.Start(t0)
	m.Tick(m.Deadline())
	// advskew 50 + demote 60 = 110 > our 100: a MASTER keeps its role.
	a := Advert{VHID: 1, AdvBase: 1, AdvSkew: 50, Demote: 60, Counter: 99, HMAC: key.Sum(1, netVIPs, 99)}
	b, _ := a.MarshalBinary()
	m.Step(t0.Add(4*sec), Received{Src: netip.MustParseAddr("10.9.9.9"), TTL: 255, Payload: b})
	if m.State() != Master {
		t.Errorf("stepped down before a demoted peer")
	}
	a = Advert{VHID: 1, AdvBase: 1, AdvSkew: 50, Demote: 40, Counter: 100, HMAC: key.Sum(1, netVIPs, 100)}
	b, _ = a.MarshalBinary()
	m.Step(t0.Add(5*sec), Received{Src: netip.MustParseAddr("10.9.9.9"), TTL: 255, Payload: b})
	if m.State() != Backup {
		t.Errorf("did not step down before 50+40 < 100")
	}
}

func TestBowOutHandsOverAtOnce(t *testing.T) {
	nw := newNetwork(t, 3, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100, 200}[i] })
	nw.startAll()
	nw.run(10 * sec)
	nw.wantMasters(0)
	at := nw.now
	nw.stop(0)
	nw.wantMasters(1) // at the same instant: no master-down wait
	if got := nw.nodes[1].transT[len(nw.nodes[1].transT)-1]; !got.Equal(at) {
		t.Errorf("took over at %v, want %v", got.Sub(t0), at.Sub(t0))
	}
	nw.run(time.Minute)
	nw.wantMasters(1)
}

func TestCrashTakeover(t *testing.T) {
	nw := newNetwork(t, 2, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100}[i] })
	nw.startAll()
	nw.run(10 * sec)
	nw.crash(0)
	nw.run(10 * sec)
	nw.wantMasters(1)
	got := nw.nodes[1].transT[len(nw.nodes[1].transT)-1].Sub(t0)
	// Node 0's last advert went out at 10 s (deadlines at 3, 4, ..., 10 s).
	if want := 10*sec + 3*sec + 100*sec/256; got != want {
		t.Errorf("took over at %v, want last advert + master-down = %v", got, want)
	}
}

func TestPartitionHeal(t *testing.T) {
	nw := newNetwork(t, 3, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100, 200}[i] })
	nw.startAll()
	nw.run(10 * sec)
	nw.wantMasters(0)
	nw.isolate(0)
	nw.run(10 * sec)
	nw.wantMasters(0, 1) // split brain while partitioned
	nw.heal()
	nw.run(5 * sec)
	nw.wantMasters(0)
	// And the other way: the master's side is the big one.
	nw.isolate(2)
	nw.run(10 * sec)
	nw.wantMasters(0, 2)
	nw.heal()
	nw.run(5 * sec)
	nw.wantMasters(0)
}

func TestDropsTolerated(t *testing.T) {
	// Losing two adverts in a row is within the master-down window.
	nw := newNetwork(t, 2, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100}[i] })
	nw.startAll()
	nw.run(10 * sec)
	nw.cut[[2]int{0, 1}] = true
	nw.run(2*sec + sec/2)
	nw.heal()
	nw.run(30 * sec)
	nw.wantMasters(0)
	if nw.transitions(1) != 1 {
		t.Errorf("backup transitions %v", nw.nodes[1].trans)
	}
}

func TestEchoNeverStepsDown(t *testing.T) {
	for _, withSelf := range []bool{true, false} {
		nw := newNetwork(t, 2, func(i int, c *Config) {
			c.AdvSkew = []uint8{0, 100}[i]
			if !withSelf {
				c.Self = netip.Addr{}
			}
		})
		nw.reflect = true
		nw.startAll()
		nw.run(time.Minute)
		nw.wantMasters(0)
		st := nw.nodes[0].m.Status()
		if st.Rejected.Of(RejectEcho) < 50 || st.Transitions != 2 {
			t.Errorf("self %v: %d echoes recognised, %d transitions", withSelf, st.Rejected.Of(RejectEcho), st.Transitions)
		}
		if st.Rejected.Total() != st.Rejected.Of(RejectEcho) {
			t.Errorf("self %v: other rejections %+v", withSelf, st.Rejected)
		}
	}
}

// TestReplayOfDeadMaster: an attacker replays the adverts a crashed master
// sent. The backup takes over on time anyway, and the replays never unseat
// it.
func TestReplayOfDeadMaster(t *testing.T) {
	nw := newNetwork(t, 2, func(i int, c *Config) { c.AdvSkew = []uint8{0, 100}[i]; c.Preempt = true })
	nw.startAll()
	nw.run(20 * sec)
	nw.wantMasters(0)
	old := append([]Received(nil), nw.sniffed[0]...)
	nw.crash(0)
	crashed := nw.now
	// Replay the dead master's adverts, one every 0.5 s, in order and
	// shuffled, while the backup waits and after it took over.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 120 {
		nw.run(sec / 2)
		r := old[i%len(old)]
		if i >= len(old) {
			r = old[rng.IntN(len(old))]
		}
		nw.inject(1, r)
	}
	nw.wantMasters(1)
	took := nw.nodes[1].transT[len(nw.nodes[1].transT)-1]
	if want := crashed.Add(3*sec + 100*sec/256); took.After(want) {
		t.Errorf("backup took over at %v, want by %v (master-down after the crash)", took.Sub(t0), want.Sub(t0))
	}
	st := nw.nodes[1].m.Status()
	if st.Rejected.Of(RejectReplay) != 120 || nw.transitions(1) != 2 {
		t.Errorf("replays rejected %d of 120, transitions %v", st.Rejected.Of(RejectReplay), nw.nodes[1].trans)
	}
}

// ucarpPeer sends ucarp-style adverts: a fresh random counter each time.
type ucarpPeer struct {
	key  Key
	rng  *rand.Rand
	skew uint8
}

func (p *ucarpPeer) advert() []byte {
	c := p.rng.Uint64()
	a := Advert{VHID: 1, AdvBase: 1, AdvSkew: p.skew, Counter: c, HMAC: p.key.Sum(1, netVIPs, c)}
	b, _ := a.MarshalBinary()
	return b
}

func TestUcarpPeerRandomCounters(t *testing.T) {
	key := netKey(t)
	p := &ucarpPeer{key: key, rng: rand.New(rand.NewPCG(3, 4)), skew: 0}
	m, _ := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: key, Counter: 7})
	m.Start(t0)
	src := netip.MustParseAddr("172.27.27.11")
	for i := range 1000 {
		now := t0.Add(time.Duration(i) * sec)
		if acts := m.Tick(now); acts != nil {
			t.Fatalf("at %v: %v", now.Sub(t0), acts)
		}
		m.Step(now, Received{Src: src, TTL: 255, Payload: p.advert()})
	}
	st := m.Status()
	if m.State() != Backup || st.Received != 1000 || st.Rejected.Total() != 0 {
		t.Errorf("state %v, accepted %d, rejected %d: a live ucarp master must be accepted", m.State(), st.Received, st.Rejected.Total())
	}
	// Its replayed adverts (recent ones) are not.
	p2 := &ucarpPeer{key: key, rng: rand.New(rand.NewPCG(3, 4)), skew: 0}
	var first []byte
	for range 1000 {
		first = p2.advert()
	}
	if m.Step(t0.Add(2000*sec), Received{Src: src, TTL: 255, Payload: first}); m.Status().Rejected.Of(RejectReplay) != 1 {
		t.Errorf("replay of ucarp's last advert accepted")
	}
}

func TestSequentialPeerReplay(t *testing.T) {
	key := netKey(t)
	src := netip.MustParseAddr("172.27.27.11")
	m, _ := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: key, Counter: 7})
	m.Start(t0)
	now := t0
	send := func(c uint64) Reject {
		now = now.Add(sec)
		a := Advert{VHID: 1, AdvBase: 1, Counter: c, HMAC: key.Sum(1, netVIPs, c)}
		b, _ := a.MarshalBinary()
		before := m.Status()
		m.Step(now, Received{Src: src, TTL: 255, Payload: b})
		after := m.Status()
		if after.Received > before.Received {
			return 0
		}
		return after.LastReject.Reason
	}
	steps := []struct {
		counter uint64
		want    Reject
	}{
		{1000, 0}, {1001, 0}, {1002, 0}, // steps by one: a FreeBSD-like peer
		{1001, RejectReplay}, // seen
		{900, RejectReplay},  // never seen, but not growing
		{1005, 0},            // lost three: still growing
		{1003, RejectReplay}, // inside the range: the lost ones too
		{1006, 0},
		{^uint64(0), RejectReplay}, // a jump far ahead is no growth
		// The peer restarts with a new random counter: the first is
		// refused, the next one (stepping by one) starts the new stream.
		{50_000, RejectReplay}, {50_001, 0}, {50_002, 0},
		{1006, RejectReplay}, {1002, RejectReplay}, // the old stream stays known
		{50_001, RejectReplay},
	}
	for i, s := range steps {
		if got := send(s.counter); got != s.want {
			t.Errorf("step %d, counter %d: got %v, want %v", i, s.counter, got, s.want)
		}
	}
	if m.State() != Backup || m.Status().Transitions != 1 {
		t.Errorf("state changed: %v", m.Status())
	}
}

func TestReplayMemoryBounded(t *testing.T) {
	var g replayGuard
	dead := netip.MustParseAddr("10.0.0.1")
	for c := uint64(100); c < 200; c++ {
		if !g.accept(dead, c, t0, sec) {
			t.Fatalf("fresh counter %d refused", c)
		}
	}
	// Many key holders from many addresses, each with sequential counters.
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 10_000 {
		src := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		c := rng.Uint64()
		g.accept(src, c, t0, sec)
		g.accept(src, c+1, t0, sec)
	}
	if g.nstream > replaySources || g.nseen > replayWindow || g.nranges > replayRanges {
		t.Errorf("memory grew: %d streams, %d seen, %d ranges", g.nstream, g.nseen, g.nranges)
	}
	// An evicted source's counters stay known (archived as a range).
	var g2 replayGuard
	for c := uint64(100); c < 200; c++ {
		g2.accept(dead, c, t0, sec)
	}
	for i := range replaySources * 2 { // evicts the dead master's stream into the archive
		src := netip.AddrFrom4([4]byte{10, 2, 0, byte(i)})
		c := uint64(1<<50) + uint64(i)<<20
		g2.accept(src, c, t0, sec)
	}
	if g2.find(dead) != nil {
		t.Fatal("the dead master's stream was not evicted; the test proves nothing")
	}
	for _, c := range []uint64{100, 150, 199} {
		if g2.accept(netip.MustParseAddr("10.9.9.9"), c, t0, sec) {
			t.Errorf("counter %d of an evicted stream accepted again", c)
		}
	}
}

// TestEqualPrioritiesHeal: a split brain between equal priorities ends
// when the masters hear each other: a MASTER steps down before an equal
// interval (FreeBSD: no tie-break, timing decides).
func TestEqualPrioritiesHeal(t *testing.T) {
	nw := newNetwork(t, 2, func(i int, c *Config) { c.AdvSkew = 50 })
	nw.startAll()
	nw.run(10 * sec)
	first := nw.masters()
	if len(first) != 1 {
		t.Fatalf("masters %v", first)
	}
	nw.isolate(0)
	nw.run(10 * sec)
	nw.wantMasters(0, 1)
	nw.heal()
	nw.run(10 * sec)
	if got := nw.masters(); len(got) != 1 {
		t.Fatalf("after heal: masters %v, want one", got)
	}
}

// TestThawedBackupListensAgain: a BACKUP told it was frozen restarts its
// master-down timer from the thaw instead of taking over; a MASTER's
// timers are unchanged.
func TestThawedBackupListensAgain(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, version := range []uint8{Version, VRRPVersion} {
		cfg := Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Self: netip.MustParseAddr("10.0.0.2"), Version: version, Interval: 100, Priority: 100}
		m, err := NewMachine(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Start(t0)
		woke := t0.Add(30 * time.Second) // long past master-down
		m.Thawed(woke)
		if got := m.Deadline(); !got.Equal(woke.Add(m.MasterDown())) {
			t.Errorf("version %d: deadline %s after the thaw, want a master-down (%s) later", version, got.Sub(woke), m.MasterDown())
		}
		if acts := m.Tick(woke); m.State() != Backup || len(acts) != 0 {
			t.Errorf("version %d: %s with %v at the thaw, want BACKUP and nothing done", version, m.State(), acts)
		}
		m.Tick(woke.Add(m.MasterDown()))
		if m.State() != Master {
			t.Fatalf("version %d: %s a master-down after the thaw with no advert, want MASTER", version, m.State())
		}
		next := m.Deadline()
		m.Thawed(woke.Add(time.Minute))
		if !m.Deadline().Equal(next) {
			t.Errorf("version %d: Thawed moved a MASTER's timer", version)
		}
	}
}
