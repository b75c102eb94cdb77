package failover

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// mapWorld is a synthetic active/active pair on two segments: each group
// is held by its preferred router while it lives, by the other one
// takeoverAfter after the holder failed, and goes back at once (preempt)
// when the preferred one lives again. stuck groups never leave a failed
// router (a router without whole-router failover keeps advertising them).
type mapWorld struct {
	mu            sync.Mutex
	rec           map[string]*Recorder // per network
	groups        []worldGroup
	alive         map[string]bool
	stuck         map[uint8]bool
	takeoverAfter time.Duration
	stop, done    chan struct{}
}

type worldGroup struct {
	net       string
	vhid      uint8
	preferred string
	holder    string
	failedAt  time.Time
}

func other(r string) string {
	if r == "router-002" {
		return "router-003"
	}
	return "router-002"
}

func newMapWorld(stuck ...uint8) *mapWorld {
	w := &mapWorld{
		rec: map[string]*Recorder{"intranought": NewRecorder(nil), "public": NewRecorder(nil)},
		groups: []worldGroup{
			{net: "intranought", vhid: 1, preferred: "router-002", holder: "router-002"},
			{net: "intranought", vhid: 3, preferred: "router-003", holder: "router-003"},
			{net: "public", vhid: 2, preferred: "router-002", holder: "router-002"},
		},
		alive: map[string]bool{"router-002": true, "router-003": true}, stuck: map[uint8]bool{},
		takeoverAfter: 150 * time.Millisecond, stop: make(chan struct{}), done: make(chan struct{}),
	}
	for _, v := range stuck {
		w.stuck[v] = true
	}
	go w.run()
	return w
}

func (w *mapWorld) close() { close(w.stop); <-w.done }

func (w *mapWorld) run() {
	ticks(w.stop, w.done, func(i int, now time.Time) {
		w.mu.Lock()
		for gi := range w.groups {
			g := &w.groups[gi]
			switch {
			case g.holder != "" && !w.alive[g.holder] && !w.stuck[g.vhid]:
				g.holder, g.failedAt = "", now
			case g.holder == "" && now.Sub(g.failedAt) >= w.takeoverAfter && w.alive[other(g.preferred)]:
				g.holder = other(g.preferred)
			}
			if w.alive[g.preferred] && g.holder != g.preferred {
				g.holder = g.preferred
			}
			if g.holder == "" || i%5 != 0 {
				continue
			}
			w.rec[g.net].Add(Event{At: now, Kind: KindAdvert, VHID: g.vhid, AdvBase: 0, AdvSkew: 25, Src: routerAddr[g.holder], MAC: vmac})
		}
		if w.groups[0].holder != "" {
			w.rec["intranought"].Add(Event{At: now, Kind: KindEchoReply, Src: vip, MAC: vmac})
			w.rec["intranought"].Add(Event{At: now, Kind: KindARPReply, Src: vip, MAC: vmac})
		}
		w.mu.Unlock()
	})
}

// mapEnv drives the map world: a trigger kills the router, Undo revives it.
type mapEnv struct {
	fakeEnv
	mw *mapWorld
}

func (e *mapEnv) Observe(_ context.Context, n Network) (Observer, error) {
	return observer{e.mw.rec[n.Name]}, nil
}
func (e *mapEnv) Trigger(_ context.Context, _ Trigger, _ Network, router string) error {
	e.mw.mu.Lock()
	defer e.mw.mu.Unlock()
	e.mw.alive[router] = false
	return nil
}
func (e *mapEnv) Undo(_ context.Context, _ Trigger, _ Network, router string) error {
	e.mw.mu.Lock()
	defer e.mw.mu.Unlock()
	e.mw.alive[router] = true
	return nil
}
func (e *mapEnv) Relearned(context.Context, Network, net.HardwareAddr, string, Measurement) (bool, string, error) {
	return true, "fake fdb", nil
}

// activeActiveMap is the pair's plan: intranought with vhid 1 (router-002)
// and vhid 3 (router-003), public with vhid 2 (router-002).
func activeActiveMap() []Network {
	md := 300 * time.Millisecond
	in := fastNet()
	in.Groups = []GroupPlan{{VHID: 1, Preferred: "router-002", MasterDown: md}, {VHID: 3, Preferred: "router-003", MasterDown: md}}
	pub := fastNet()
	pub.Name, pub.VHID, pub.VIP = "public", 2, netip.MustParseAddr("203.0.113.10")
	pub.Groups = []GroupPlan{{VHID: 2, Preferred: "router-002", MasterDown: md}}
	return []Network{in, pub}
}

func runMapDrill(t *testing.T, w *mapWorld, trig Trigger) Report {
	t.Helper()
	m := activeActiveMap()
	reps, err := Run(context.Background(), Options{Env: &mapEnv{mw: w}, Trigger: trig, Networks: m[:1], Map: m,
		MaxTakeover: time.Second, MaxBlackout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return reps[0]
}

type ownRow struct {
	VHID                              int
	Before, Expected, After, Restored string
	OK                                bool
}

func ownRows(r Report) []ownRow {
	var out []ownRow
	for _, o := range r.Ownership {
		out = append(out, ownRow{o.VHID, o.Before, o.Expected, o.After, o.Restored, o.OK})
	}
	return out
}

// A power-off moves every group the router held, on both networks, and
// the restore gives each back to its preferred router.
func TestDrillOwnershipWholeRouter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMapWorld()
		defer w.close()
		r := runMapDrill(t, w, TriggerPowerOff)
		if !r.Pass {
			t.Fatalf("drill failed: %+v", r.Phases)
		}
		want := []ownRow{
			{1, "router-002", "router-003", "router-003", "router-002", true},
			{3, "router-003", "", "router-003", "router-003", true},
			{2, "router-002", "router-003", "router-003", "router-002", true},
		}
		if diff := cmp.Diff(want, ownRows(r)); diff != "" {
			t.Errorf("ownership (-want +got):\n%s", diff)
		}
		for _, o := range r.Ownership {
			if moved := o.After != o.Before; moved != (o.TakeoverS > 0) {
				t.Errorf("vhid %d: takeover %.3f s, moved %v", o.VHID, o.TakeoverS, moved)
			}
		}
		if diff := cmp.Diff([]string{PhaseGate, PhaseBaseline, PhaseTrigger, PhaseMeasure, PhaseHandover, "relearn", PhaseRestore, PhaseReturn, PhaseReport}, phaseNames(r)); diff != "" {
			t.Errorf("phases (-want +got):\n%s", diff)
		}
	})
}

// A group stuck on the failed router fails the drill, which says which.
func TestDrillOwnershipStuckGroupFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMapWorld(2)
		defer w.close()
		r := runMapDrill(t, w, TriggerLinkDown)
		if r.Pass {
			t.Fatal("drill passed with vhid 2 stuck on the failed router")
		}
		var handover Phase
		for _, p := range r.Phases {
			if p.Name == PhaseHandover {
				handover = p
			}
		}
		if handover.OK || !strings.Contains(handover.Detail, "vhid 2 (public) on router-002, want router-003") || !strings.Contains(handover.Detail, "vhid 1 (intranought) to router-003") {
			t.Errorf("handover phase %+v: want vhid 2 named as stuck and vhid 1 as moved", handover)
		}
	})
}

// demote hands over the drilled group alone: the others are expected to
// stay, and the drill passes while they do.
func TestDrillOwnershipDemoteExpectsTheDrilledGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMapWorld(2) // the public group would not move anyway
		defer w.close()
		r := runMapDrill(t, w, TriggerDemote)
		got := map[int]string{}
		for _, o := range r.Ownership {
			got[o.VHID] = o.Expected
		}
		if diff := cmp.Diff(map[int]string{1: "router-003", 3: "", 2: ""}, got); diff != "" {
			t.Errorf("expected holders (-want +got):\n%s", diff)
		}
	})
}
