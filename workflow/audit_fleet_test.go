package workflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/carpvm/carpvm/audit"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// A fleet on two vCenters: inner and outer on the first (outer logging in
// as another user), paris on the second. Each vCenter is read once, both
// at the same time, into one report; a pair justifies only its own
// vCenter's exceptions.
func TestAuditFleetOneSessionPerVCenterInParallel(t *testing.T) {
	ctx := context.Background()
	first, err := sim.Start(ctx, hardened(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(first.Close)
	second, err := sim.Start(ctx, hardened(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Close)

	inner, outer, paris := config.Simulator(), config.Simulator(), config.Simulator()
	inner.Pair.Name, outer.Pair.Name, paris.Pair.Name = "inner", "outer", "paris"
	inner.Networks, outer.Networks, paris.Networks = inner.Networks[:1], outer.Networks[1:], paris.Networks[:1]
	inner.VSphere, outer.VSphere, paris.VSphere = first.VSphereConfig(), first.VSphereConfig(), second.VSphereConfig()
	outer.VSphere.Username = "outer@vsphere.local" // the session is inner's: no login as outer

	var mu sync.Mutex
	opened := map[string]int{}
	arrived := make(chan struct{}, 2)
	both := make(chan struct{})
	var once sync.Once
	open := func(ctx context.Context, cfg *config.Config, topology string, progress Progress) (Backend, error) {
		mu.Lock()
		opened[cfg.Pair.Name]++
		mu.Unlock()
		arrived <- struct{}{}
		if len(arrived) == 2 {
			once.Do(func() { close(both) })
		}
		select {
		case <-both:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: the other vCenter's session was not opened meanwhile: not read in parallel", cfg.Pair.Name)
		}
		return Open(ctx, cfg, topology, progress)
	}
	rep, err := Audit(ctx, []*config.Config{inner, outer, paris}, FleetOptions{Open: open, Progress: func(string, ...any) {}})
	if err != nil {
		t.Fatal(err)
	}
	if len(opened) != 2 || opened["inner"] != 1 || opened["paris"] != 1 {
		t.Errorf("sessions opened %v, want one as inner (for outer too) and one as paris", opened)
	}
	if len(rep.Targets) != 2 || len(rep.Pairs) != 3 {
		t.Errorf("targets %v, pairs %v; want both vCenters and the three pairs", rep.Targets, rep.Pairs)
	}
	byTarget := map[string]map[string]audit.Exception{}
	for _, e := range rep.Exceptions {
		if byTarget[e.Target] == nil {
			byTarget[e.Target] = map[string]audit.Exception{}
		}
		byTarget[e.Target][e.Object+" "+e.Setting] = e
	}
	if len(byTarget) != 2 {
		t.Fatalf("exceptions of %d vCenters, want 2: %+v", len(byTarget), rep.Exceptions)
	}
	for target, rows := range byTarget {
		pub := rows["portgroup Public on esxi-01 forged_transmits"]
		in := rows["portgroup IntraNought on esxi-01 forged_transmits"]
		switch in.Pair {
		case "inner": // the first vCenter: outer justifies Public
			if pub.Class != audit.Justified || pub.Pair != "outer" {
				t.Errorf("%s: Public %+v, want justified by outer", target, pub)
			}
		case "paris": // the second: no pair of it has Public
			if pub.Class != audit.Unjustified {
				t.Errorf("%s: Public %+v, want unjustified (outer is on the other vCenter)", target, pub)
			}
		default:
			t.Errorf("%s: IntraNought justified by %q, want inner or paris", target, in.Pair)
		}
	}
}
