package main

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// The fleet's fault walk (docs/architecture.md, "Safety promises"):
// preflight --fix --yes of a fleet of two pairs, paris and roubaix, each on
// its own simulated vCenter, is run clean, then once per case of one pair's
// clean calls (walkCases), the pair broken taking turns from case to case:
// the broken pair keeps the fix walk's promise (fixPromise) with its own
// backup and message, and the other pair is fixed as in the clean run.

// fleetPairs are the fleet's pairs, in the configuration's order.
var fleetPairs = []string{"paris", "roubaix"}

// fleetSims is one simulator per pair.
type fleetSims map[string]*fixSim

func startFleetSims(t *testing.T) fleetSims {
	t.Helper()
	out := fleetSims{}
	for _, p := range fleetPairs {
		out[p] = startFixSim(t, sim.Default())
	}
	return out
}

func (fs fleetSims) close() {
	for _, s := range fs {
		s.srv.Close()
	}
}

// fix runs preflight --fix --yes on the fleet, each call bounded by
// timeout (0: the default); the output of both streams is the message.
func (fs fleetSims) fix(t *testing.T, dir string, timeout time.Duration) walkRun {
	t.Helper()
	load := func(bool) ([]*config.Config, error) {
		var out []*config.Config
		for _, p := range fleetPairs {
			cfg := config.Simulator()
			cfg.Pair.Name = p
			cfg.VSphere = fs[p].srv.VSphereConfig()
			out = append(out, cfg)
		}
		return out, nil
	}
	// Each pair's backup is named by the time it is taken: a clock that
	// moves on names them apart.
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	any := fs[fleetPairs[0]]
	r := runFix(t, any, fixOptions{Getenv: stateEnv(dir), fixFlags: fixFlags{Yes: true}, Output: "table", LoadPairs: load,
		Connect: any.connectWithTimeout(timeout), Now: clock})
	all := r.stdout + r.stderr
	return walkRun{runResult: runResult{code: r.code, stdout: r.stdout, stderr: all}, backup: rollbackFile(all)}
}

// rollbackCommand is the rollback command a message names.
var rollbackCommand = regexp.MustCompile(`carpvm preflight rollback (\S+\.json)`)

// rollbackFile is the backup the rollback command in out names; "" for none.
func rollbackFile(out string) string {
	if m := rollbackCommand.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// TestFaultWalkFleetFix walks preflight --fix of a fleet, one pair broken
// at a time, through every call of a pair's clean run.
func TestFaultWalkFleetFix(t *testing.T) {
	t.Parallel() // its own simulators and state directories
	clean := startFleetSims(t)
	original, final := map[string]map[string]string{}, map[string]map[string]string{}
	for p, s := range clean {
		original[p] = inventory(t, s)
		s.srv.ClearFault()
	}
	r := clean.fix(t, t.TempDir(), 0)
	calls := map[string][]string{}
	for p, s := range clean {
		calls[p], final[p] = s.srv.Calls(), inventory(t, s)
		if len(sim.DiffState(original[p], final[p])) == 0 {
			t.Fatalf("%s: the clean run changed nothing (exit %d):\n%s", p, r.code, r.stderr)
		}
	}
	if len(calls["paris"]) != len(calls["roubaix"]) {
		t.Fatalf("the pairs' clean runs made %d and %d calls: want one plan on each", len(calls["paris"]), len(calls["roubaix"]))
	}
	cleanCode := r.code
	t.Logf("fleet-fix: clean run: exit %d, %d calls on each vCenter", cleanCode, len(calls["paris"]))
	var st walkStats
	start := time.Now()
	for i, c := range walkCases(calls["paris"]) {
		broken := fleetPairs[i%len(fleetPairs)]
		name := fmt.Sprintf("fleet-fix/%s/call%02d-%s/%s", broken, c.call, calls[broken][c.call-1], c.fault)
		fs := startFleetSims(t)
		dir := t.TempDir()
		if err := fs[broken].srv.InjectFault(sim.FaultPlan{Call: c.call, Kind: c.fault.kind, Fault: c.fault.fault}); err != nil {
			t.Fatal(err)
		}
		timeout := time.Duration(0)
		if c.fault.kind == sim.FaultTimeout {
			timeout = walkCallTimeout
		}
		r := fs.fix(t, dir, timeout)
		fired := len(fs[broken].srv.Calls()) >= c.call
		fs[broken].srv.ClearFault()
		if !fired {
			t.Logf("%s: the run made fewer than %d calls; nothing injected", name, c.call)
			fs.close()
			continue
		}
		st.count(fixPromise(t, name, fs[broken], dir, r, original[broken], final[broken], cleanCode, c.fault.kind == sim.FaultSessionExpired, false))
		for _, p := range fleetPairs {
			if p == broken {
				continue
			}
			if d := sim.DiffState(final[p], inventory(t, fs[p])); len(d) > 0 {
				t.Errorf("%s: pair %s, not broken, is not fixed as in the clean run:\n%v\n%s", name, p, d, r.stderr)
			}
		}
		fs.close()
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("fleet-fix: %d cases (%d unchanged, %d done, %d recorded) in %s", st.cases, st.unchanged, st.done, st.recorded, time.Since(start).Round(time.Millisecond))
}
