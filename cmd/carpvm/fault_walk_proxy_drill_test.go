package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/faultproxy"
	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// The drill's second walk (docs/architecture.md, "Safety promises"): a
// real carpvm process (CARPVM_TEST_BIN) drills router-002 on intranought
// with --no-witness, each trigger vSphere can show (power-off, link-down),
// against a served simulator behind a TCP proxy (internal/faultproxy) that
// drops the N-th exchange before or after forwarding it, or goes away from
// it on. The promise is the drill walk's (drillPromise): with vCenter
// back, the inventory is as before and no journal is left, or the drill
// exited 3 naming each object's state and `carpvm drill restore`, which
// then restores it exactly.

// proxyDrill is a served simulator behind a faultproxy, and a drill's
// directories with a carpvm.yaml naming the proxy.
type proxyDrill struct {
	s     *fixSim
	proxy *faultproxy.Proxy
	d     drillDir
}

func startProxyDrill(t *testing.T) *proxyDrill {
	t.Helper()
	s, p := startProxiedSim(t)
	return &proxyDrill{s: s, proxy: p, d: newDrillDirAt(t, s, sdkURL(p.Addr))}
}

// drill runs the binary's drill --no-witness of router-002 on intranought
// with trigger, through the proxy, and returns its exit, its output and
// the simulator calls it made.
func (pd *proxyDrill) drill(t *testing.T, bin string, trigger failover.Trigger) (runResult, []string) {
	t.Helper()
	pd.s.srv.ClearFault() // records this run's calls only
	cmd := exec.Command(bin, "drill", "--config", pd.d.cfg, "--no-witness", "--force", "--network", "intranought",
		"--trigger", string(trigger), "--history", pd.d.history)
	cmd.Env = os.Environ()
	for k, v := range pd.d.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return runCommand(t, cmd), pd.s.srv.Calls()
}

// proxyDrillTriggers are the triggers a drill without a witness acts with
// and reads back that the walk breaks: a VM powered off, a NIC link down.
var proxyDrillTriggers = []failover.Trigger{failover.TriggerPowerOff, failover.TriggerLinkDown}

// proxyPlans are the faults a proxy walk of a clean run of n exchanges
// injects. Under CARPVM_FAULT_WALK=full: every kind at every exchange. By
// default every exchange is broken once, the kinds in rotation from
// offset (walks of several workflows so meet each exchange with several
// kinds).
func proxyPlans(n, offset int) []faultproxy.Plan {
	kinds := faultproxy.Kinds()
	var out []faultproxy.Plan
	for x := 1; x <= n; x++ {
		if fullWalk {
			for _, k := range kinds {
				out = append(out, faultproxy.Plan{Exchange: x, Kind: k})
			}
			continue
		}
		out = append(out, faultproxy.Plan{Exchange: x, Kind: kinds[(x-1+offset)%len(kinds)]})
	}
	return out
}

// proxyDrillWorkers is how many cases of a proxy drill walk run at once:
// each has its own simulator, proxy, directories and process.
const proxyDrillWorkers = 2

// TestFaultWalkProxyDrill walks carpvm drill --no-witness of each trigger
// in proxyDrillTriggers, run by a carpvm process, through a proxy that
// fails each exchange of the clean run.
func TestFaultWalkProxyDrill(t *testing.T) {
	bin := testbin.Carpvm(t)
	t.Parallel() // its own simulators, proxies, directories and processes
	for i, trigger := range proxyDrillTriggers {
		t.Run(string(trigger), func(t *testing.T) {
			walkProxyDrill(t, bin, trigger, i)
		})
	}
}

// walkProxyDrill runs the drill of trigger clean through the proxy, then
// once per plan of proxyPlans, and asserts the promise of each.
func walkProxyDrill(t *testing.T, bin string, trigger failover.Trigger, offset int) {
	t.Helper()
	name := "proxy-drill-" + string(trigger)
	clean := startProxyDrill(t)
	original := inventory(t, clean.s)
	clean.proxy.Disarm()
	r, calls := clean.drill(t, bin, trigger)
	n := clean.proxy.Exchanges()
	if r.code != exitOK {
		t.Fatalf("%s: clean run: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
	}
	if diff := sim.DiffState(original, inventory(t, clean.s)); len(diff) > 0 {
		t.Fatalf("%s: the clean run did not restore:\n%s", name, strings.Join(diff, "\n"))
	}
	if writes := writeCalls(calls); len(writes) < 2 {
		t.Fatalf("%s: the clean run wrote %v, want a trigger and its undo: the walk would prove nothing", name, writes)
	}
	t.Logf("%s: clean run: exit %d, %d exchanges, writes %v", name, r.code, n, writeCalls(calls))
	start := time.Now()
	st := runWalkCases(t, proxyPlans(n, offset), proxyDrillWorkers, func(p faultproxy.Plan) string {
		return fmt.Sprintf("exchange%02d/%s", p.Exchange, p.Kind)
	}, func(t *testing.T, p faultproxy.Plan, caseName string) string {
		pd := startProxyDrill(t)
		defer pd.s.srv.Close()
		if err := pd.proxy.Arm(p); err != nil {
			t.Fatal(err)
		}
		r, calls := pd.drill(t, bin, trigger)
		fired := pd.proxy.Exchanges() >= p.Exchange
		if err := pd.proxy.Up(); err != nil { // vCenter is back
			t.Fatal(err)
		}
		if !fired {
			t.Logf("%s/%s: the run made fewer than %d exchanges; nothing injected", name, caseName, p.Exchange)
			return "skipped"
		}
		return drillPromise(t, name+"/"+caseName, pd.s, pd.d, r, calls, original)
	})
	t.Logf("%s: %d cases (%d unchanged, %d done, %d recorded) in %s", name, st.cases, st.unchanged, st.done, st.recorded, time.Since(start).Round(time.Millisecond))
}
