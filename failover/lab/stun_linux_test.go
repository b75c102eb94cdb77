package lab

import (
	"context"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/failover"
)

// A stun drill in the lab: router-002 frozen for 5 s (longer than
// router-003's master-down, 3.39 s), router-003 takes over, router-002
// returns believing it is master, finds its timers overdue, re-announces;
// router-003 steps down. The drill measures the split brain and the
// clients' blackout after the return, and ends with one master.
func TestStunDrill(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	opts.AdvBase = AdvBase(1) // the figures below are advbase 1's
	l := upLab(t, opts)
	nets, err := l.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	// With the pair's ownership map, as carpvm drill runs it.
	all, err := l.Networks("")
	if err != nil {
		t.Fatal(err)
	}
	reps, err := failover.Run(context.Background(), failover.Options{Env: &Env{Lab: l}, Trigger: failover.TriggerStun,
		Stun: 5 * time.Second, Networks: nets, Map: all})
	if err != nil {
		t.Fatal(err)
	}
	r := reps[0]
	if !r.Pass {
		t.Fatalf("stun drill failed: %+v\n%s", r.Phases, l.LogTail(20))
	}
	if r.OldMaster != Router1 || r.NewMaster != Router2 || r.Survivor != Router1 {
		t.Errorf("masters %s -> %s, survivor %s; want %s -> %s, %s left", r.OldMaster, r.NewMaster, r.Survivor, Router1, Router2, Router1)
	}
	if r.SplitBrainS == nil || r.ReturnBlackoutS == nil {
		t.Fatalf("split brain %v, return blackout %v: want both measured", r.SplitBrainS, r.ReturnBlackoutS)
	}
	t.Logf("split brain %.3f s, client blackout after the return %.3f s, takeover %.3f s", *r.SplitBrainS, *r.ReturnBlackoutS, r.TakeoverS)
	resp, err := node.Call(context.Background(), l.ControlSocket(Router1), node.Request{Command: node.CmdStatus})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status.ClockJumps != 1 || resp.Status.LastClockJump == nil || resp.Status.LastClockJump.LateS < 3 {
		t.Errorf("router-002's node: clock jumps %d, last %+v; want 1, some 4-5 s late", resp.Status.ClockJumps, resp.Status.LastClockJump)
	}
	if st := l.Status(context.Background()); st.Err() != nil {
		t.Errorf("lab after the drill: %v", st.Err())
	}
}

// With no_vmac (the VIP answered from each router's own MAC, keepalived's
// default) a takeover moves the clients' ARP caches to router-003. When
// router-002 returns from a 10 s stun and router-003 steps down, only
// router-002's re-announce brings the clients back; without it (node
// freeze_reannounce: false) they keep sending to router-003 until their
// ARP caches expire, and the drill fails.
func TestStunDrillNoVMAC(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		reannounce bool
	}{{"reannounce", true}, {"no-reannounce", false}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions(t, PeerCarpvm)
			opts.AdvBase = AdvBase(1) // the figures below are advbase 1's
			opts.Node = NodeSettings{NoVMAC: true, NoFreezeReannounce: !c.reannounce}
			l := upLab(t, opts)
			settle(t, l)
			nets, err := l.Networks("intranought")
			if err != nil {
				t.Fatal(err)
			}
			reps, err := failover.Run(context.Background(), failover.Options{Env: &Env{Lab: l}, Trigger: failover.TriggerStun,
				Stun: failover.DefaultStun, Networks: nets})
			if err != nil {
				t.Fatal(err)
			}
			r := reps[0]
			if r.ReturnBlackoutS == nil {
				t.Fatalf("no return blackout measured: %+v", r.Phases)
			}
			m, _ := r.Phase(failover.PhaseMeasure)
			t.Logf("pass %v, return blackout %.3f s: %s", r.Pass, *r.ReturnBlackoutS, m.Detail)
			if c.reannounce && !r.Pass {
				t.Errorf("stun drill with the re-announce failed: %+v\n%s", r.Phases, l.LogTail(20))
			}
			if !c.reannounce && (r.Pass || *r.ReturnBlackoutS <= r.MaxBlackoutS) {
				t.Errorf("stun drill without the re-announce: pass %v, return blackout %.3f s (objective %.3f s); want a failure, the VIP black-holed", r.Pass, *r.ReturnBlackoutS, r.MaxBlackoutS)
			}
		})
	}
}

// settle waits until router-002 has been master for three seconds: past
// the second gratuitous ARP a new master sends two intervals after taking
// over, which a stun right after lab up would leave pending and send on
// the thaw, re-announce or not.
func settle(t testing.TB, l *Lab) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := node.Call(context.Background(), l.ControlSocket(Router1), node.Request{Command: node.CmdStatus})
		if err == nil && len(resp.Status.Groups) > 0 && time.Since(resp.Status.Groups[0].LastTransition.At) > 3*time.Second {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("router-002 did not stay master for 3 s")
}

// A snapshot of the backup: router-003 frozen for 6 s (past its
// master-down, 3.39 s) while router-002 advertises all along. On waking it
// listens again rather than taking over from a master it merely did not
// hear: neither node changes state, and router-003 counts the freeze.
func TestStunBackupKeepsTheMaster(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	opts.AdvBase = AdvBase(1) // the figures below are advbase 1's
	l := upLab(t, opts)
	settle(t, l)
	ctx := context.Background()
	transitions := func(router string) (uint64, node.Status) {
		resp, err := node.Call(ctx, l.ControlSocket(router), node.Request{Command: node.CmdStatus})
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for _, g := range resp.Status.Groups {
			n += g.Transitions
		}
		return n, *resp.Status
	}
	before2, _ := transitions(Router1)
	before3, _ := transitions(Router2)
	if err := l.stun(ctx, Router2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(6 * time.Second)
	if err := l.thaw(ctx, Router2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	after2, _ := transitions(Router1)
	after3, st3 := transitions(Router2)
	if after2 != before2 || after3 != before3 {
		t.Errorf("transitions around router-003's stun: router-002 %d, router-003 %d; want none\n%s", after2-before2, after3-before3, l.LogTail(20))
	}
	if st3.ClockJumps != 1 {
		t.Errorf("router-003 counted %d freezes, want 1", st3.ClockJumps)
	}
	if st := l.Status(ctx); st.Err() != nil {
		t.Errorf("lab after the stun: %v", st.Err())
	}
}
