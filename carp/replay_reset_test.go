package carp

import (
	"net/netip"
	"testing"
	"time"
)

// A FreeBSD-like peer (counter stepping by one) restarts with a new
// random counter after being silent for more than master-down: its first
// advert is accepted, so the MASTER that replaced it steps down at once.
// A counter that goes back sooner, a second reset at once, and a replay of
// a counter ever seen stay refused.
func TestSequentialPeerResetAfterSilence(t *testing.T) {
	key := netKey(t)
	peer := netip.MustParseAddr("172.27.27.11")
	m, _ := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, Preempt: true, VIPs: netVIPs, Key: key, Counter: 7})
	m.Start(t0)
	send := func(at time.Time, c uint64) Reject {
		a := Advert{VHID: 1, AdvBase: 1, Counter: c, HMAC: key.Sum(1, netVIPs, c)}
		b, _ := a.MarshalBinary()
		before := m.Status().Received
		m.Step(at, Received{Src: peer, TTL: 255, Payload: b})
		if m.Status().Received > before {
			return 0
		}
		return m.Status().LastReject.Reason
	}
	now := t0
	for c := uint64(1000); c < 1003; c++ {
		now = now.Add(sec)
		if rej := send(now, c); rej != 0 {
			t.Fatalf("counter %d: %v", c, rej)
		}
	}
	md := m.MasterDown()
	// Silent for less than master-down: a counter going back is refused.
	if rej := send(now.Add(md-time.Millisecond), 77); rej != RejectReplay {
		t.Errorf("a reset %s after the last advert: %v, want %v", md-time.Millisecond, rej, RejectReplay)
	}
	now = now.Add(md) // the peer is down: we take over
	m.Tick(now)
	if m.State() != Master {
		t.Fatalf("after master-down: %v, want MASTER", m.State())
	}
	now = now.Add(20 * sec)
	if rej := send(now, 1001); rej != RejectReplay {
		t.Errorf("a replay of a seen counter after the silence: %v, want %v", rej, RejectReplay)
	}
	if rej := send(now, 50_000); rej != 0 || m.State() != Backup {
		t.Fatalf("the restarted peer's first advert after %s of silence: %v, %v; want accepted and BACKUP", 20*sec, rej, m.State())
	}
	now = now.Add(sec)
	if rej := send(now, 50_001); rej != 0 {
		t.Errorf("the new stream's next counter: %v", rej)
	}
	now = now.Add(sec)
	if rej := send(now, 9_000); rej != RejectReplay {
		t.Errorf("a second reset with no silence: %v, want %v", rej, RejectReplay)
	}
	if rej := send(now, 50_000); rej != RejectReplay {
		t.Errorf("a replay of the new stream's first advert: %v, want %v", rej, RejectReplay)
	}
}
