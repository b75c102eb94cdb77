package lab

import (
	"context"
	"testing"

	"github.com/carpvm/carpvm/failover"
)

// An active/active lab (each router the preferred master of one group per
// network) drilled with whole-router triggers: every group router-002
// held moves to router-003, router-003's own groups stay, and the restore
// gives each group back to its preferred router. link-down cuts only
// router-002's public port: its internal groups move through link
// tracking in the node (demotion 240), not through any loss of their own.
func TestLabActiveActiveWholeRouterDrills(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	opts.AdvBase, opts.ActiveActive = AdvBase(0), true
	l := upLab(t, opts)
	if got := len(l.Status(context.Background()).Networks); got != 4 {
		t.Fatalf("active/active lab has %d groups, want 4", got)
	}
	env := &Env{Lab: l}
	all, err := l.Networks("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		trigger failover.Trigger
		net     string
	}{
		{failover.TriggerLinkDown, "public"},
		{failover.TriggerPowerOff, "intranought"},
	} {
		t.Run(string(tc.trigger), func(t *testing.T) {
			nets, err := l.Networks(tc.net)
			if err != nil {
				t.Fatal(err)
			}
			reps, err := failover.Run(context.Background(), failover.Options{Env: env, Trigger: tc.trigger, Networks: nets, Map: all})
			if err != nil {
				t.Fatal(err)
			}
			r := reps[0]
			if !r.Pass {
				t.Fatalf("drill failed: %+v\n%s", r.Phases, l.LogTail(30))
			}
			want := map[int][3]string{ // before, after the trigger, after the restore
				1: {Router1, Router2, Router1}, 3: {Router2, Router2, Router2},
				2: {Router1, Router2, Router1}, 4: {Router2, Router2, Router2},
			}
			if len(r.Ownership) != len(want) {
				t.Fatalf("ownership of %d groups, want %d: %+v", len(r.Ownership), len(want), r.Ownership)
			}
			for _, o := range r.Ownership {
				w := want[o.VHID]
				if got := [3]string{o.Before, o.After, o.Restored}; got != w || !o.OK {
					t.Errorf("vhid %d (%s): before/after/restored %v ok %v, want %v", o.VHID, o.Network, got, o.OK, w)
				}
				if o.Before != o.After {
					t.Logf("%s: vhid %d (%s) moved in %.3f s (master-down %.3f s)", tc.trigger, o.VHID, o.Network, o.TakeoverS, r.MasterDownS)
				}
			}
			if err := l.Status(context.Background()).Err(); err != nil {
				t.Errorf("lab unhealthy after the drill: %v", err)
			}
		})
	}
}
