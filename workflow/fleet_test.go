package workflow

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// simPair is the simulator's pair under another name.
func simPair(name string) *config.Config {
	c := config.Simulator()
	c.Pair.Name = name
	return c
}

// countingOpen counts the sessions a fleet opens.
func countingOpen(opens *int, mu *sync.Mutex) OpenFunc {
	return func(ctx context.Context, cfg *config.Config, topology string, progress Progress) (Backend, error) {
		mu.Lock()
		*opens++
		mu.Unlock()
		return Open(ctx, cfg, topology, progress)
	}
}

// With --sim every pair is checked against one embedded simulator, through
// one session, and each report is that pair's, in the configuration's order.
func TestCheckFleetOnTheSimulator(t *testing.T) {
	var opens int
	var mu sync.Mutex
	pairs := []*config.Config{simPair("site-a"), simPair("site-b")}
	pairs[1].Pair.Routers = []config.Router{{Name: "router-002", VM: "router-002"}, {Name: "nosuch", VM: "nosuch", AdvSkew: 100}}
	reps := CheckFleet(context.Background(), pairs, FleetOptions{Topology: "default", Open: countingOpen(&opens, &mu), Progress: func(string, ...any) {}})
	if opens != 1 {
		t.Errorf("opened %d sessions, want 1 (one simulator for the fleet)", opens)
	}
	if len(reps) != 2 || reps[0].Pair != "site-a" || reps[1].Pair != "site-b" {
		t.Fatalf("reports %+v, want site-a then site-b", reps)
	}
	for _, r := range reps {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Pair, r.Err)
		}
		if r.Report.Target != "simulator" {
			t.Errorf("%s: target %q, want simulator", r.Pair, r.Report.Target)
		}
	}
	if reps[0].Report.Summary.Fail != 3 {
		t.Errorf("site-a: %d failures, want the simulator's 3", reps[0].Report.Summary.Fail)
	}
	if reps[1].Report.Summary.Fail <= reps[0].Report.Summary.Fail {
		t.Errorf("site-b (a router that does not exist): %d failures, want more than site-a's %d", reps[1].Report.Summary.Fail, reps[0].Report.Summary.Fail)
	}
}

// Against real vCenters, one session per distinct vsphere target: two
// pairs on one server share a session, a pair on another gets its own.
func TestCheckFleetOneSessionPerTarget(t *testing.T) {
	ctx := context.Background()
	var servers []*sim.Server
	for range 2 {
		srv, err := sim.Start(ctx, sim.Topologies()["default"](), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		servers = append(servers, srv)
	}
	pairs := []*config.Config{simPair("a1"), simPair("b"), simPair("a2")}
	pairs[0].VSphere = servers[0].VSphereConfig()
	pairs[1].VSphere = servers[1].VSphereConfig()
	pairs[2].VSphere = servers[0].VSphereConfig()
	var opens int
	var mu sync.Mutex
	reps := CheckFleet(ctx, pairs, FleetOptions{Open: countingOpen(&opens, &mu), Progress: func(string, ...any) {}})
	if opens != 2 {
		t.Errorf("opened %d sessions for 2 targets, want 2", opens)
	}
	for i, r := range reps {
		if r.Pair != pairs[i].Pair.Name || r.Err != nil || r.Report.Summary.Fail != 3 {
			t.Errorf("report %d = %s, err %v, %d failures; want %s with the simulator's 3", i, r.Pair, r.Err, r.Report.Summary.Fail, pairs[i].Pair.Name)
		}
	}
}

// No more than MaxSessions targets are worked on at once: the first
// MaxSessions opens wait until that many are in and the scheduler has run
// every other opener; a missing bound would let them in while they wait.
func TestCheckFleetBoundsConcurrency(t *testing.T) {
	const limit, targets = 2, 5
	var mu sync.Mutex
	inflight, most := 0, 0
	full := make(chan struct{})
	var once sync.Once
	open := func(ctx context.Context, cfg *config.Config, topology string, progress Progress) (Backend, error) {
		mu.Lock()
		inflight++
		most = max(most, inflight)
		release := inflight == limit
		mu.Unlock()
		if release {
			// Let every other runnable opener in before releasing: without
			// the bound they are all runnable by now.
			for range 1000 {
				runtime.Gosched()
			}
			once.Do(func() { close(full) })
		}
		<-full
		mu.Lock()
		inflight--
		mu.Unlock()
		return nil, errors.New("refused")
	}
	var pairs []*config.Config
	for i := range targets {
		c := simPair(fmt.Sprintf("p%d", i))
		c.VSphere.URL = fmt.Sprintf("https://vc%d.example/sdk", i)
		pairs = append(pairs, c)
	}
	reps := CheckFleet(context.Background(), pairs, FleetOptions{Open: open, MaxSessions: limit, Progress: func(string, ...any) {}})
	if most > limit {
		t.Errorf("%d sessions at once, want at most %d", most, limit)
	}
	for _, r := range reps {
		var be *BackendError
		if !errors.As(r.Err, &be) || be.Step != "connect" || be.Err.Error() != "refused" {
			t.Errorf("%s: err %v, want the open's error as a connect BackendError", r.Pair, r.Err)
		}
	}
}
