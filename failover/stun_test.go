package failover

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/internal/table"
)

// router-002 (advskew 0) is stunned at 1.0 s for 9 s: router-003 takes over
// at 4.4 s; router-002 returns at 10 s and advertises at 10.01 s.
func stunStream() stream {
	return stream{}.
		adverts(r2, 0, 1000, 1000).
		adverts(r3, 4400, 9960, 1390).
		echoes(vmac, 0, 1000).
		echoes(vmac, 4410, 10000).
		adverts(r2, 10010, 14010, 1000)
}

func TestAnalyzeReturnReannounced(t *testing.T) {
	ev := stunStream().echoes(vmac, 10020, 14000).sorted()
	r := AnalyzeReturn(ev, 1, r2, at(10000), at(14000))
	want := StunReturn{Back: true, FirstBack: at(10010), Survivor: r2, Settled: true, Quiet: 2*time.Second + ProbeInterval, Advertising: 1,
		SplitBrain: 0, Blackout: 20 * time.Millisecond, Resumed: true}
	if diff := cmp.Diff(want, r, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("return (-want +got):\n%s", diff)
	}
}

// Nobody re-announces: the clients' echoes go to the router that stepped
// down and stay unanswered.
func TestAnalyzeReturnBlackHole(t *testing.T) {
	ev := stunStream().sorted()
	r := AnalyzeReturn(ev, 1, r2, at(10000), at(14000))
	if r.Resumed || r.Blackout != 4*time.Second || r.Survivor != r2 || !r.Settled {
		t.Errorf("return = %+v; want one master r2, replies not resumed, a 4 s open blackout", r)
	}
}

// router-003 keeps advertising 1.39 s after router-002's return before it
// steps down: that is the split brain.
func TestAnalyzeReturnSplitBrain(t *testing.T) {
	ev := stunStream().adverts(r3, 11350, 11350, 1).echoes(vmac, 10020, 16000).sorted()
	r := AnalyzeReturn(ev, 1, r2, at(10000), at(16000))
	if r.SplitBrain != 1340*time.Millisecond || r.Survivor != r2 || !r.Settled {
		t.Errorf("return = %+v; want a 1.34 s split brain, r2 alone at the end", r)
	}
	// While both still advertise, there is no survivor.
	if r := AnalyzeReturn(ev, 1, r2, at(10000), at(11400)); r.Settled || r.Survivor.IsValid() {
		t.Errorf("return at 11.4 s = %+v; want two masters, not settled", r)
	}
}

func TestStunDrillPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		env := &fakeEnv{w: w}
		reps, err := Run(context.Background(), Options{Env: env, Trigger: TriggerStun, Stun: time.Second, Networks: []Network{fastNet()}, MaxTakeover: time.Second, MaxBlackout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r := reps[0]
		if !r.Pass || !r.Restored || r.NewMaster != "router-003" || r.Survivor != "router-002" {
			t.Fatalf("report = %+v, want a pass with router-003 taking over and router-002 surviving", r)
		}
		if diff := cmp.Diff([]string{"gate", "trigger router-002", "undo router-002"}, env.calls); diff != "" {
			t.Errorf("env calls (-want +got):\n%s", diff)
		}
		if r.SplitBrainS == nil || r.ReturnBlackoutS == nil || *r.ReturnBlackoutS > 0.05 || r.StunS != 1 {
			t.Errorf("split brain %v, return blackout %v, stun %v; want both measured, the blackout one probe or so", r.SplitBrainS, r.ReturnBlackoutS, r.StunS)
		}
		m, _ := r.Phase(PhaseMeasure)
		if !m.OK || !strings.Contains(m.Detail, "stunned router-002 for 1s: new master router-003") || !strings.Contains(m.Detail, "one master (router-002)") {
			t.Errorf("measure phase = %+v", m)
		}
	})
}

// The stunned master returns and nobody re-announces: the drill fails and
// says the VIP is black-holed; the master is left to the restore phase.
func TestStunDrillBlackHoleFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		w.blackHole = true
		env := &fakeEnv{w: w}
		reps, err := Run(context.Background(), Options{Env: env, Trigger: TriggerStun, Stun: time.Second, Networks: []Network{fastNet()}, Deadline: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r := reps[0]
		m, _ := r.Phase(PhaseMeasure)
		if r.Pass || m.OK || !strings.Contains(m.Detail, "did not answer again within 1s of the thaw: black-holed") {
			t.Errorf("pass %v, measure %+v; want a failure naming the black hole", r.Pass, m)
		}
		if r.ReturnBlackoutS == nil || *r.ReturnBlackoutS < 0.9 {
			t.Errorf("return blackout %v, want the open outage (about 1 s)", r.ReturnBlackoutS)
		}
	})
}

func TestStunNeedsADuration(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		_, err := Run(context.Background(), Options{Env: &fakeEnv{}, Trigger: TriggerStun, Stun: d, Networks: []Network{fastNet()}})
		if err == nil || !strings.Contains(err.Error(), "stun duration "+d.String()+": want more than 0") {
			t.Errorf("stun of %s: err = %v, want a clear error", d, err)
		}
	}
}

// router-003 goes on advertising after router-002's return: the split
// brain is measured either way. One that settles within a second is a
// racing handover, not a MAC flap (witness.FlapSettle); one that lasts
// three seconds moves the virtual MAC every second, and the report warns
// of the flap.
func TestStunDrillSplitBrainFlaps(t *testing.T) {
	for _, tc := range []struct {
		split time.Duration
		flap  bool
	}{
		{300 * time.Millisecond, false},
		{3 * time.Second, true},
	} {
		t.Run(tc.split.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld()
				defer w.close()
				w.split = tc.split
				env := &fakeEnv{w: w}
				reps, err := Run(context.Background(), Options{Env: env, Trigger: TriggerStun, Stun: time.Second, Networks: []Network{fastNet()}, MaxTakeover: time.Second, MaxBlackout: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				r := reps[0]
				if want := tc.split.Seconds(); r.SplitBrainS == nil || *r.SplitBrainS < want-0.1 || *r.SplitBrainS > want {
					t.Errorf("split brain %v, want about %.1f s (router-003's last advert after the return)", r.SplitBrainS, want)
				}
				if r.Survivor != "router-002" {
					t.Errorf("survivor %q, want router-002", r.Survivor)
				}
				var b strings.Builder
				if err := WriteTable(&b, table.Terminal{}, reps); err != nil {
					t.Fatal(err)
				}
				warned := strings.Contains(b.String(), "WARNING intranought mac_flap: MAC 00:00:5e:00:01:01 moved between 172.27.27.11 and 172.27.27.12")
				if !tc.flap {
					if len(r.MACFlaps) != 0 || warned {
						t.Errorf("mac flaps = %+v, want none for a split brain that settles within %s:\n%s", r.MACFlaps, witness.FlapSettle, b.String())
					}
					return
				}
				if len(r.MACFlaps) != 1 || r.MACFlaps[0].MAC != vmac.String() || !warned {
					t.Errorf("mac flaps = %+v, want the virtual MAC, and the table to warn:\n%s", r.MACFlaps, b.String())
				}
			})
		})
	}
}

func TestStunPlan(t *testing.T) {
	steps := Plan(&fakeEnv{}, TriggerStun, []Network{fastNet()}, Options{Stun: 5 * time.Second})
	var measure []string
	for _, s := range steps {
		if s.Phase == PhaseMeasure {
			measure = append(measure, s.Action)
		}
		if s.Phase == PhaseRestore && !strings.HasPrefix(s.Action, "nothing more to undo") {
			t.Errorf("restore step %q: the thaw is the measure phase's", s.Action)
		}
	}
	if len(measure) != 2 || !strings.Contains(measure[1], "after 5s: revive router-002 (the thaw)") {
		t.Errorf("measure steps %q", measure)
	}
}

// The old master advertises once after the thaw, then neither router
// does: that is no master, not a split brain, and the drill says so.
func TestAnalyzeReturnNoMasterIsNotASplitBrain(t *testing.T) {
	ev := stream{}.adverts(r2, 0, 1000, 1000).adverts(r3, 4400, 9960, 1390).adverts(r2, 10010, 10010, 1).sorted()
	r := AnalyzeReturn(ev, 1, r2, at(10000), at(14000))
	if r.Settled || r.Advertising != 0 {
		t.Fatalf("return = %+v; want not settled, nobody advertising", r)
	}
	if got := r.Unsettled(); !strings.Contains(got, "no master advertises") {
		t.Errorf("Unsettled() = %q; want it to say no master advertises", got)
	}
	both := stunStream().adverts(r3, 11350, 11350, 1).sorted()
	if got := AnalyzeReturn(both, 1, r2, at(10000), at(11400)).Unsettled(); !strings.Contains(got, "2 masters still advertise (split brain)") {
		t.Errorf("Unsettled() with both advertising = %q; want a split brain", got)
	}
}
