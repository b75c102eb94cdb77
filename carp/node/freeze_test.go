package node

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// freezeClock is the system clock (synctest's fake time) that can stop the
// node's loop as SIGSTOP or a VM stun would: while frozen, Now blocks, so
// the loop stands still at its next event; time goes on meanwhile.
type freezeClock struct {
	SystemClock
	mu   sync.Mutex
	thaw chan struct{}
}

func (c *freezeClock) Now() time.Time {
	c.mu.Lock()
	ch := c.thaw
	c.mu.Unlock()
	if ch != nil {
		<-ch
	}
	return time.Now()
}

func (c *freezeClock) freeze() {
	c.mu.Lock()
	c.thaw = make(chan struct{})
	c.mu.Unlock()
}

func (c *freezeClock) unfreeze() {
	c.mu.Lock()
	close(c.thaw)
	c.thaw = nil
	c.mu.Unlock()
}

// garps drains a witness port and counts the gratuitous ARPs and the
// neighbour advertisements (IPv6, ICMPv6 type 136) in it.
func garps(w *memLink) (arps, nas int) {
	for _, f := range drainFrames(w) {
		switch {
		case len(f) >= 14 && binary.BigEndian.Uint16(f[12:14]) == etherTypeARP:
			arps++
		case len(f) >= 55 && binary.BigEndian.Uint16(f[12:14]) == 0x86dd && f[20] == 58 && f[54] == 136:
			nas++
		}
	}
	return arps, nas
}

// stunMaster runs a (advskew 0) and b (advskew 100), freezes a for 10 s
// off the segment (a stunned VM: b takes over), thaws it and returns the
// nodes, the witness's GARP count after the thaw, and the freeze clock.
func stunMaster(t *testing.T, noReannounce bool) (a, b *simNode, after int) {
	a, b, after, _ = stunDualStack(t, noReannounce, nil)
	return a, b, after
}

// stunDualStack is stunMaster with vips (nil: the IPv4 test VIP); it also
// returns the neighbour advertisements after the thaw.
func stunDualStack(t *testing.T, noReannounce bool, vips []netip.Prefix) (a, b *simNode, after, nas int) {
	h := &hub{}
	clock := &freezeClock{}
	witness := h.port(carp.VirtualMAC(99))
	a, b = electedPair(t, h,
		simOpts{self: "172.27.27.11", advskew: 0, clock: clock, noReannounce: noReannounce, vips: vips},
		simOpts{self: "172.27.27.12", advskew: 100, vips: vips})
	stunned(a, clock, 10*time.Second, func() {
		wantState(t, "b during a's stun", b, carp.Master)
		garps(witness) // b's own, on taking over
	})
	time.Sleep(100 * time.Millisecond)
	synctest.Wait()
	after, nas = garps(witness)
	return a, b, after, nas
}

// electedPair starts a and b on h and lets them elect a master for 10 s:
// a, with b its backup.
func electedPair(t *testing.T, h *hub, aOpts, bOpts simOpts) (a, b *simNode) {
	t.Helper()
	a, b = startSim(t, h, aOpts), startSim(t, h, bOpts)
	time.Sleep(10 * time.Second)
	synctest.Wait()
	wantState(t, "a before the stun", a, carp.Master)
	wantState(t, "b before the stun", b, carp.Backup)
	return a, b
}

// stunned freezes n's clock and cuts it off the segment for d, as a
// stunned VM hears and sends nothing; then runs meanwhile, and lets n go:
// back on the segment, its clock running.
func stunned(n *simNode, clock *freezeClock, d time.Duration, meanwhile func()) {
	clock.freeze()
	n.link.cut.Store(true)
	time.Sleep(d)
	synctest.Wait()
	if meanwhile != nil {
		meanwhile()
	}
	n.link.cut.Store(false)
	clock.unfreeze()
}

// A dual-stack master re-announces both families: a gratuitous ARP for its
// IPv4 VIP and an unsolicited neighbour advertisement for its IPv6 one.
func TestFrozenDualStackMasterReannounces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, arps, nas := stunDualStack(t, false, dualStack)
		wantState(t, "a after the thaw", a, carp.Master)
		wantState(t, "b after the thaw", b, carp.Backup)
		if arps == 0 || nas == 0 {
			t.Errorf("after the thaw: %d gratuitous ARP(s), %d NA(s); want both", arps, nas)
		}
		a.stop(t)
		b.stop(t)
	})
}

// A master frozen past its timers notices on thawing (its advert timer
// fired ~10 s late), logs it once, counts it, advertises, and announces its
// VIPs at once; the backup that took over meanwhile steps down before its
// advert: one master.
func TestFrozenMasterReannounces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, after := stunMaster(t, false)
		wantState(t, "a after the thaw", a, carp.Master)
		wantState(t, "b after the thaw", b, carp.Backup)
		if after == 0 {
			t.Error("no gratuitous ARP within 100 ms of the thaw; want a's re-announce")
		}
		st, err := a.n.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.ClockJumps != 1 || st.LastClockJump == nil || st.LastClockJump.LateS < 8 {
			t.Errorf("clock jumps = %d, last %+v; want 1, about 9-10 s late", st.ClockJumps, st.LastClockJump)
		}
		if got, ok := metricValue(t, mustGather(t, a), "carpvm_node_clock_jumps_total", nil); !ok || got != 1 {
			t.Errorf("carpvm_node_clock_jumps_total = %v (present %v), want 1", got, ok)
		}
		if got := strings.Count(a.log.String(), "frozen"); got != 1 {
			t.Errorf("a logged %d lines about the freeze, want 1:\n%s", got, a.log.String())
		}
		a.stop(t)
		b.stop(t)
	})
}

// Without the re-announce, the thawed master stays master but says
// nothing: clients keep the backup's announcement (the black hole of a
// stunned master on ESXi). The freeze is still counted.
func TestFrozenMasterWithoutReannounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, after := stunMaster(t, true)
		wantState(t, "a after the thaw", a, carp.Master)
		wantState(t, "b after the thaw", b, carp.Backup)
		if after != 0 {
			t.Errorf("%d gratuitous ARP(s) after the thaw with the re-announce off; want none", after)
		}
		if st, _ := a.n.Status(t.Context()); st.ClockJumps != 1 {
			t.Errorf("clock jumps = %d, want 1", st.ClockJumps)
		}
		a.stop(t)
		b.stop(t)
	})
}

// Timers that fire on time are no freeze: a long normal run counts none.
func TestNoClockJumpInNormalRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0})
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100})
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		for _, s := range []*simNode{a, b} {
			if st, _ := s.n.Status(t.Context()); st.ClockJumps != 0 {
				t.Errorf("clock jumps = %d in a normal run, want 0", st.ClockJumps)
			}
		}
		a.stop(t)
		b.stop(t)
	})
}

// stunBackup runs a (advskew 0, master) and b (advskew 100, backup with the
// freeze clock), freezes b off the segment for freeze (a stunned VM hears
// nothing and sends nothing), during running as the stun starts, and
// thaws it. It returns the nodes and b's transitions before the stun.
func stunBackup(t *testing.T, freeze time.Duration, during func(a *simNode)) (a, b *simNode, before uint64) {
	h := &hub{}
	clock := &freezeClock{}
	a, b = electedPair(t, h, simOpts{self: "172.27.27.11", advskew: 0}, simOpts{self: "172.27.27.12", advskew: 100, clock: clock})
	before = b.status(t).Transitions
	if during != nil {
		during(a)
	}
	stunned(b, clock, freeze, nil)
	return a, b, before
}

// A backup frozen past its master-down timer heard nothing because it was
// not running, not because the master died: on thawing it listens for a
// new master-down interval rather than taking over at once, so the master
// that advertised all along keeps the group (no split brain, no VIP moved
// to the backup and back). 5 s is past b's master-down (3.39 s) but its
// timer fires less than two intervals late: the freeze is still seen.
func TestFrozenBackupStaysBackup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, before := stunBackup(t, 5*time.Second, nil)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		wantState(t, "b just after the thaw", b, carp.Backup)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a after the thaw", a, carp.Master)
		wantState(t, "b after the thaw", b, carp.Backup)
		if got := b.status(t).Transitions; got != before {
			t.Errorf("b made %d transition(s) around its stun, want none", got-before)
		}
		if st, err := b.n.Status(t.Context()); err != nil || st.ClockJumps != 1 {
			t.Errorf("b's clock jumps = %d (%v), want the freeze counted", st.ClockJumps, err)
		}
		a.stop(t)
		b.stop(t)
	})
}

// When the master did die during the backup's freeze, the thawed backup
// takes over one master-down interval after waking, not at once.
func TestFrozenBackupTakesOverFromDeadMaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, _ := stunBackup(t, 10*time.Second, func(a *simNode) { a.link.cut.Store(true) })
		woke := time.Now()
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		wantState(t, "b just after the thaw", b, carp.Backup)
		time.Sleep(carp.MasterDown(1, 100) + 100*time.Millisecond)
		synctest.Wait()
		wantState(t, "b a master-down after the thaw", b, carp.Master)
		if at := b.status(t).LastTransition.At; at.Sub(woke) < carp.MasterDown(1, 100) {
			t.Errorf("b took over %s after waking, want a full master-down (%s)", at.Sub(woke), carp.MasterDown(1, 100))
		}
		a.stop(t)
		b.stop(t)
	})
}

// A master whose loop wakes for its advert timer with a better master's
// advert already received hears that advert first: it steps down and does
// not send the advert it was due to, which would move the virtual MAC back
// to it for one more advert (a racing handover, seen by a switch as a MAC
// move and by witness as one more).
func TestDueAdvertYieldsToAReceivedBetterOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		clock := &freezeClock{}
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 100, clock: clock})
		tap := h.port(net.HardwareAddr{2, 0, 0, 0, 0, 0x66})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a alone", a, carp.Master)
		// Stop a's loop at its next advert timer: it wakes for it and
		// stands at its clock reading, as a descheduled process does.
		clock.freeze()
		time.Sleep(2 * time.Second) // more than a's interval (1.39 s), less than two
		synctest.Wait()
		drainFrames(tap)
		better := carp.Advert{VHID: 1, AdvBase: 1, AdvSkew: 0, Counter: 1}
		better.HMAC = testKey(t, "123piano2026%").Sum(1, []netip.Addr{testVIP.Addr()}, better.Counter)
		p, _ := better.MarshalBinary()
		if err := tap.WriteFrame(carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1),
			Src: netip.MustParseAddr("172.27.27.12"), Dst: carp.GroupV4, TTL: carp.TTL, Payload: p})); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		clock.unfreeze()
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		wantState(t, "a after the better advert", a, carp.Backup)
		for _, f := range drainFrames(tap) {
			if pf, err := carp.ParseFrame(f); err == nil && pf.Src == netip.MustParseAddr("172.27.27.11") {
				t.Errorf("a advertised after a better master's advert had reached it: %+v", pf)
			}
		}
		a.stop(t)
	})
}
