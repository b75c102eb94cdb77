package node

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/transition"
)

var (
	testVIP = netip.MustParsePrefix("172.27.27.14/28")
)

func testKey(t *testing.T, pass string) carp.Key {
	t.Helper()
	k, err := carp.NewKey([]byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// simNode is a Node on a hub, with its fakes.
type simNode struct {
	n      *Node
	link   *memLink
	vips   *fakeVIPs
	log    *logBuffer
	cancel context.CancelFunc
	done   chan error

	mu      sync.Mutex
	scripts [][]string
}

type simOpts struct {
	self    string
	advskew uint8
	preempt bool
	pass    string
	up      string
	// vips default to testVIP; with IPv6 ones the node's link-local
	// address is fe80::<last byte of self>.
	vips []netip.Prefix
	// noIPv4 makes the IPv4 source lookup fail (an interface without an
	// IPv4 address).
	noIPv4     bool
	forwarding bool
	// replayState is the group's replay memory file ("" : memory only).
	replayState string
	// clock replaces the system clock (synctest's fake time either way).
	clock Clock
	// noReannounce turns the re-announce after a freeze off.
	noReannounce bool
	// transitions gets the node's transition log (transitionlog.go).
	transitions *transition.Writer
	name        string
}

func startSim(t *testing.T, h *hub, o simOpts) *simNode {
	t.Helper()
	s := &simNode{vips: &fakeVIPs{}, log: &logBuffer{}, done: make(chan error, 1)}
	self := netip.MustParseAddr(o.self)
	s.link = h.port(net.HardwareAddr{2, 0, 0, 0, 0, self.As4()[3]})
	if o.pass == "" {
		o.pass = "123piano2026%"
	}
	if o.vips == nil {
		o.vips = []netip.Prefix{testVIP}
	}
	self6 := netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: self.As4()[3]})
	n, err := New(Options{
		Groups: []Group{{
			Interface: "eth0", VHID: 1, VIPs: o.vips, AdvBase: 1, AdvSkew: o.advskew,
			Preempt: o.preempt, Key: testKey(t, o.pass), VMAC: true, ManageVIPs: true,
			UpScript: o.up, DownScript: o.up, XParam: "extra",
		}},
		Log:      s.log.logger(),
		OpenLink: func(string) (Link, error) { return s.link, nil },
		NewVIPs:  func(Group, *slog.Logger) VIPHolder { return s.vips },
		SourceAddr: func(string, []netip.Addr) (netip.Addr, error) {
			if o.noIPv4 {
				return netip.Addr{}, errors.New("no IPv4 address on eth0")
			}
			return self, nil
		},
		SourceAddr6:        func(string, []netip.Addr) (netip.Addr, error) { return self6, nil },
		IPv6Forwarding:     func(string) bool { return o.forwarding },
		ReplayState:        func(Group) string { return o.replayState },
		Clock:              o.clock,
		NoFreezeReannounce: o.noReannounce,
		Transitions:        o.transitions,
		Name:               o.name,
		RunScript: func(_ context.Context, path string, args, env []string) ([]byte, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.scripts = append(s.scripts, append(append([]string{path}, args...), env...))
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.n = n
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- n.Run(ctx) }()
	return s
}

func (s *simNode) status(t *testing.T) GroupStatus {
	t.Helper()
	st, err := s.n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Groups[0]
}

func (s *simNode) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	if err := <-s.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func wantState(t *testing.T, who string, s *simNode, want carp.State) {
	t.Helper()
	if got := s.status(t).State; got != want {
		t.Fatalf("%s is %s, want %s", who, got, want)
	}
	if held := s.vips.Held(); held != (want == carp.Master) {
		t.Fatalf("%s (%s) holds VIPs=%v", who, want, held)
	}
}

// The lower advskew wins; when its cable is cut (a crash: no bow-out) the
// backup takes over after its master-down interval and not before.
func TestElectionAndTakeoverAfterCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100})
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		wantState(t, "b", b, carp.Backup)
		if got := b.status(t).MasterSeen; got != netip.MustParseAddr("172.27.27.11") {
			t.Errorf("b sees master %v, want 172.27.27.11", got)
		}

		a.link.cut.Store(true)
		cut := time.Now()
		// master-down of b is 3 + 100/256 s after a's last advert, which
		// came at most one interval (1 s) before the cut.
		time.Sleep(2 * time.Second)
		synctest.Wait()
		wantState(t, "b two seconds after the cut", b, carp.Backup)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		wantState(t, "b four seconds after the cut", b, carp.Master)
		tr := b.status(t).LastTransition
		if took := tr.At.Sub(cut); took > 3*time.Second+100*time.Second/256 || took < 2*time.Second {
			t.Errorf("b took over %s after the cut; want within (2 s, master-down 3.39 s]", took)
		}
		a.stop(t)
		b.stop(t)
		if b.vips.Held() {
			t.Error("b holds the VIPs after stopping")
		}
	})
}

// A MASTER stopping gracefully bows out: the backup takes over at once.
func TestBowOutOnStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0, up: "/usr/local/sbin/vip"})
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)

		stopped := time.Now()
		a.stop(t)
		if a.vips.Held() {
			t.Fatal("a still holds the VIPs after stopping")
		}
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		wantState(t, "b right after a's bow-out", b, carp.Master)
		if took := b.status(t).LastTransition.At.Sub(stopped); took > 10*time.Millisecond {
			t.Errorf("takeover after bow-out took %s", took)
		}

		// a ran its up script on becoming MASTER and its down script on
		// stopping, with ucarp's arguments and never the passphrase.
		a.mu.Lock()
		calls := slices.Clone(a.scripts)
		a.mu.Unlock()
		if len(calls) != 2 {
			t.Fatalf("scripts ran %d times, want 2 (up, down): %q", len(calls), calls)
		}
		for i, state := range []string{"MASTER", "INIT"} {
			c := calls[i]
			if !slices.Equal(c[:4], []string{"/usr/local/sbin/vip", "eth0", "172.27.27.14", "extra"}) || !slices.Contains(c, "CARPVM_STATE="+state) {
				t.Errorf("script call %d = %q; want vip eth0 172.27.27.14 extra with CARPVM_STATE=%s", i, c, state)
			}
			if strings.Contains(strings.Join(c, " "), "piano") {
				t.Errorf("script call %d carries the passphrase", i)
			}
		}
		b.stop(t)
	})
}

// demote hands over at once (bow-out); promote with preempt takes it back.
func TestDemoteAndPromote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0, preempt: true})
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100, preempt: true})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)

		r, err := a.n.Do(context.Background(), Request{Command: CmdDemote, VHID: 1})
		if err != nil || !r.OK {
			t.Fatalf("demote: %+v %v", r, err)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		wantState(t, "b after a's demotion", b, carp.Master)
		wantState(t, "a after its demotion", a, carp.Backup)
		if d := a.status(t).Demotion; d != carp.MaxDemotedSkew {
			t.Errorf("a demotion = %d, want %d", d, carp.MaxDemotedSkew)
		}
		if _, err := a.n.Do(context.Background(), Request{Command: CmdPromote, VHID: 1}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		wantState(t, "a after promote", a, carp.Master)
		wantState(t, "b after a's promote", b, carp.Backup)

		r, _ = a.n.Do(context.Background(), Request{Command: CmdDemote, VHID: 9})
		if r.OK || !strings.Contains(r.Error, "vhid 9") {
			t.Errorf("demote of an unknown vhid = %+v; want an error naming vhid 9", r)
		}
		r, _ = a.n.Do(context.Background(), Request{Command: "reboot"})
		if r.OK || !strings.Contains(r.Error, "unknown command") {
			t.Errorf("unknown command = %+v", r)
		}
		a.stop(t)
		b.stop(t)
	})
}

// A flood of forged adverts (wrong key, replays of the master's own, a
// routed one, garbage) neither unseats the master nor changes any state;
// the rejections are counted and summarised once per interval.
func TestFloodDoesNotUnseatMaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 100})
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 200})
		tap := h.port(net.HardwareAddr{2, 0, 0, 0, 0, 0x66})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		wantState(t, "b", b, carp.Backup)
		before := a.status(t)
		beforeB := b.status(t)

		// Capture a genuine advert of a's to replay.
		var genuine []byte
		buf := make([]byte, 2048)
		for genuine == nil {
			n, err := tap.ReadFrame(buf)
			if err != nil {
				t.Fatal(err)
			}
			if f, err := carp.ParseFrame(buf[:n]); err == nil && f.Src == netip.MustParseAddr("172.27.27.11") {
				genuine = append([]byte(nil), buf[:n]...)
			}
		}
		wrong := testKey(t, "not-the-passphrase")
		const perRound = 500
		for round := range 20 {
			for i := range perRound {
				adv := carp.Advert{VHID: 1, AdvBase: 0, AdvSkew: 0, Counter: uint64(round*perRound + i)}
				adv.HMAC = wrong.Sum(1, []netip.Addr{testVIP.Addr()}, adv.Counter)
				p, _ := adv.MarshalBinary()
				forged := carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1),
					Src: netip.MustParseAddr("172.27.27.13"), Dst: carp.GroupV4, Payload: p})
				tap.WriteFrame(forged)
				tap.WriteFrame(genuine)
				if i%100 == 0 {
					routed := carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1),
						Src: netip.MustParseAddr("172.27.27.13"), Dst: carp.GroupV4, TTL: 64, Payload: p})
					tap.WriteFrame(routed)
					tap.WriteFrame([]byte("not a frame at all"))
				}
			}
			time.Sleep(time.Second)
			synctest.Wait()
		}
		after := a.status(t)
		afterB := b.status(t)
		wantState(t, "a after the flood", a, carp.Master)
		wantState(t, "b after the flood", b, carp.Backup)
		if after.Transitions != before.Transitions || afterB.Transitions != beforeB.Transitions {
			t.Errorf("transitions changed during the flood: a %d->%d, b %d->%d",
				before.Transitions, after.Transitions, beforeB.Transitions, afterB.Transitions)
		}
		for _, who := range []struct {
			name          string
			before, after GroupStatus
			replay        carp.Reject
		}{{"a", before, after, carp.RejectEcho}, {"b", beforeB, afterB, carp.RejectReplay}} {
			d := who.after.Rejected.Sub(who.before.Rejected)
			if d.Of(carp.RejectHMAC) < 20*perRound*9/10 {
				t.Errorf("%s counted %d bad_hmac, want about %d", who.name, d.Of(carp.RejectHMAC), 20*perRound)
			}
			if d.Of(who.replay) < 20*perRound*9/10 {
				t.Errorf("%s counted %d %s, want about %d", who.name, d.Of(who.replay), who.replay, 20*perRound)
			}
			if d.Of(carp.RejectTTL) == 0 {
				t.Errorf("%s counted no bad_ttl", who.name)
			}
		}
		// 20 s of flood: at most 3 summary lines (one per 10 s) per node.
		lines := strings.Count(a.log.String(), "rejected ")
		if lines == 0 || lines > 3 {
			t.Errorf("a logged %d rejection summaries in 20 s; want 1..3:\n%s", lines, a.log.String())
		}
		st, _ := a.n.Status(context.Background())
		if st.Interfaces[0].BadFrame == 0 {
			t.Error("malformed frames not counted")
		}
		a.stop(t)
		b.stop(t)
	})
}

// Different passphrases: each rejects the other (bad_hmac) and, each
// believing itself alone, both become MASTER.
func TestDifferentPassphrases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0, pass: "one"})
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100, pass: "two"})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		for _, s := range []*simNode{a, b} {
			st := s.status(t)
			if st.State != carp.Master || st.Rejected.Of(carp.RejectHMAC) == 0 || st.Received != 0 {
				t.Errorf("state %s, bad_hmac %d, accepted %d; want MASTER, >0, 0", st.State, st.Rejected.Of(carp.RejectHMAC), st.Received)
			}
		}
		a.stop(t)
		b.stop(t)
	})
}
