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
	opts := testOptions(t, PeerCarpvm)
	l := upLab(t, opts)
	nets, err := l.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	reps, err := failover.Run(context.Background(), failover.Options{Env: &Env{Lab: l}, Trigger: failover.TriggerStun,
		Stun: 5 * time.Second, Networks: nets})
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
