package lab

import (
	"context"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
)

// TestLabDrillAdvBaseZero: a lab at advbase 0 (OpenBSD's sub-second mode,
// carpvm on both routers) fails over on a power-off after router-003's
// master-down of 3*100/256 s, well inside the drill's own objective, and
// is restored.
func TestLabDrillAdvBaseZero(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	opts.AdvBase = AdvBase(0)
	l := upLab(t, opts)
	st := l.Status(context.Background())
	if err := st.Err(); err != nil || st.AdvBase != 0 || l.State.AdvBase != 0 {
		t.Fatalf("status: advbase %d (state %d), %v", st.AdvBase, l.State.AdvBase, err)
	}
	env := &Env{Lab: l}
	nets, err := l.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := NetByName("intranought")
	c := startCapture(t, l, n)
	reps, err := failover.Run(context.Background(), failover.Options{Env: env, Trigger: failover.TriggerPowerOff, Networks: nets})
	if err != nil {
		t.Fatal(err)
	}
	r := reps[0]
	masterDown := 300 * time.Second / 256 // carp.MasterDown(0, 100)
	if r.MasterDownS != seconds(masterDown) || r.MaxTakeoverS != seconds(masterDown+time.Second) {
		t.Errorf("objectives: master-down %.3f s, max takeover %.3f s; want %.3f s and %.3f s",
			r.MasterDownS, r.MaxTakeoverS, seconds(masterDown), seconds(masterDown+time.Second))
	}
	if !r.Pass {
		t.Fatalf("drill failed: %+v\n%s", r.Phases, l.LogTail(20))
	}
	if r.OldMaster != Router1 || r.NewMaster != Router2 || !r.Restored || !r.MACRelearned {
		t.Errorf("report %+v", r)
	}
	// CARP's own rule: the backup does not take over before its master-down
	// (less the 1/256 s between the master's adverts and scheduling slack).
	if r.TakeoverS < seconds(masterDown)-0.05 {
		t.Errorf("takeover %.3f s: router-003 took over before its master-down of %.3f s", r.TakeoverS, seconds(masterDown))
	}
	adverts, replies := c.read(t, nets[0].VIP)
	checkAgainstCapture(t, r, n, adverts, replies)
	if err := l.Status(context.Background()).Err(); err != nil {
		t.Errorf("lab unhealthy after the drill: %v", err)
	}
	for _, ns := range l.Status(context.Background()).Networks {
		if ns.Master != Router1 {
			t.Errorf("%s: master %q after the restore, want router-002 (preempt)", ns.Name, ns.Master)
		}
	}
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
