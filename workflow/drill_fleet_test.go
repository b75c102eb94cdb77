package workflow

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// DrillFleet drills each pair through its target's one session, wired as
// OpenDrill wires a single pair; a target that cannot be reached fails its
// pairs (as a BackendError) and not the others; pairs on one target are
// drilled one after the other.
func TestDrillFleetOneSessionPerTarget(t *testing.T) {
	ctx := context.Background()
	srv, err := sim.Start(ctx, sim.Topologies()["default"](), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	pairs := []*config.Config{simPair("a1"), simPair("down"), simPair("a2")}
	pairs[0].VSphere = srv.VSphereConfig()
	pairs[2].VSphere = srv.VSphereConfig()
	pairs[1].VSphere = srv.VSphereConfig()
	pairs[1].VSphere.URL = "https://127.0.0.1:1/sdk"

	var opens, running, most int
	var mu sync.Mutex
	var drilled []string
	res := DrillFleet(ctx, pairs, DrillFleetOptions{
		FleetOptions: FleetOptions{Open: countingOpen(&opens, &mu), Progress: func(string, ...any) {}},
		Env: func(cfg *config.Config) *vsphereenv.Env {
			return &vsphereenv.Env{Interface: "if-" + cfg.Pair.Name}
		},
		Drill: func(ctx context.Context, cfg *config.Config, env *vsphereenv.Env, _ Progress) ([]failover.Report, error) {
			mu.Lock()
			running++
			most = max(most, running)
			drilled = append(drilled, cfg.Pair.Name)
			mu.Unlock()
			defer func() { mu.Lock(); running--; mu.Unlock() }()
			if env.Ops == nil || env.State == nil || env.CheckGate == nil || env.Config != cfg || env.Interface != "if-"+cfg.Pair.Name {
				t.Errorf("%s: env not wired to the session and the pair: %+v", cfg.Pair.Name, env)
			}
			gate, err := env.CheckGate(ctx, failover.Network{})
			if err == nil {
				t.Errorf("%s: the simulator's gate passed (%s); want its failed checks", cfg.Pair.Name, gate)
			}
			return []failover.Report{{Pair: cfg.Pair.Name, Pass: true}}, nil
		},
	})
	if opens != 2 {
		t.Errorf("opened %d sessions for 2 targets, want 2", opens)
	}
	if most != 1 || len(drilled) != 2 || drilled[0] != "a1" || drilled[1] != "a2" {
		t.Errorf("drilled %v, at most %d at once; want a1 then a2, one at a time", drilled, most)
	}
	var be *BackendError
	if len(res) != 3 || res[0].Err != nil || res[2].Err != nil || !errors.As(res[1].Err, &be) || res[1].Reports != nil {
		t.Fatalf("results %+v; want a1 and a2 drilled, down refused at connect", res)
	}
	if res[0].Reports[0].Pair != "a1" || res[2].Reports[0].Pair != "a2" || res[1].Pair != "down" {
		t.Errorf("results out of the pairs' order: %+v", res)
	}
}

// Once the run is cancelled no pair starts: those left say so.
func TestDrillFleetStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pairs := []*config.Config{simPair("first"), simPair("second")}
	res := DrillFleet(ctx, pairs, DrillFleetOptions{
		FleetOptions: FleetOptions{Topology: "default", Progress: func(string, ...any) {}},
		Env:          func(*config.Config) *vsphereenv.Env { return &vsphereenv.Env{} },
		Drill: func(ctx context.Context, cfg *config.Config, env *vsphereenv.Env, _ Progress) ([]failover.Report, error) {
			cancel() // Ctrl-C during the first pair's drill
			return []failover.Report{{Pair: cfg.Pair.Name}}, ctx.Err()
		},
	})
	if len(res[0].Reports) != 1 || !errors.Is(res[0].Err, context.Canceled) {
		t.Errorf("first: %+v; want its report and the cancellation", res[0])
	}
	if res[1].Reports != nil || !errors.Is(res[1].Err, context.Canceled) {
		t.Errorf("second: %+v; want it not drilled, cancelled", res[1])
	}
}
