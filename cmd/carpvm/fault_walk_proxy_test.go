package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/internal/faultproxy"
	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// The second walk (docs/architecture.md, "Safety promises"): a real
// carpvm process (CARPVM_TEST_BIN) runs preflight --fix against the
// simulator through a TCP proxy (internal/faultproxy) that drops the N-th
// exchange of bytes before or after forwarding it, or goes away from it
// on: the process's own configuration loading, TLS, HTTP client, session
// and exit code meet the faults, not a seam in the SOAP handler. The
// promise is the fix walk's (fixPromise).

// proxyFix is a served simulator behind a faultproxy, and a carpvm.yaml
// naming the proxy.
type proxyFix struct {
	s     *fixSim
	proxy *faultproxy.Proxy
	cfg   string
	dir   string
}

func startProxyFix(t *testing.T) *proxyFix {
	t.Helper()
	s, p := startProxiedSim(t)
	dir := t.TempDir()
	pf := &proxyFix{s: s, proxy: p, cfg: filepath.Join(dir, "carpvm.yaml"), dir: dir}
	writeSimConfig(t, pf.cfg, s, sdkURL(p.Addr))
	return pf
}

// startProxiedSim serves the default topology behind a faultproxy.
func startProxiedSim(t *testing.T) (*fixSim, *faultproxy.Proxy) {
	t.Helper()
	s := startFixSim(t, sim.Default())
	p, err := faultproxy.Start(strings.TrimSuffix(strings.TrimPrefix(s.srv.URL, "https://"), "/sdk"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return s, p
}

// fix runs the binary's preflight --fix --yes through the proxy.
func (pf *proxyFix) fix(t *testing.T, bin string) walkRun {
	t.Helper()
	backup := filepath.Join(pf.dir, "backup.json")
	_ = os.Remove(backup)
	cmd := exec.Command(bin, "preflight", "--config", pf.cfg, "--fix", "--yes", "--backup", backup)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+pf.dir, "CARPVM_VSPHERE_PASSWORD="+pf.s.srv.Password.Reveal())
	return walkRun{runResult: runCommand(t, cmd), backup: backup}
}

// runCommand runs cmd and returns its exit code and output; a command
// that could not run at all fails the test.
func runCommand(t *testing.T, cmd *exec.Cmd) runResult {
	t.Helper()
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

// TestFaultWalkProxy walks preflight --fix, run by a carpvm process,
// through a proxy that fails each exchange of the clean run (proxyPlans).
func TestFaultWalkProxy(t *testing.T) {
	bin := testbin.Carpvm(t)
	t.Parallel() // its own simulators, proxies and processes
	clean := startProxyFix(t)
	original := inventory(t, clean.s)
	clean.proxy.Disarm()
	r := clean.fix(t, bin)
	n := clean.proxy.Exchanges()
	final := inventory(t, clean.s)
	if len(sim.DiffState(original, final)) == 0 {
		t.Fatalf("the clean run changed nothing (exit %d):\n%s", r.code, r.stderr)
	}
	cleanCode := r.code
	t.Logf("proxy-fix: clean run: exit %d, %d exchanges", cleanCode, n)
	var st walkStats
	start := time.Now()
	for _, p := range proxyPlans(n, 0) {
		name := fmt.Sprintf("proxy-fix/exchange%02d/%s", p.Exchange, p.Kind)
		pf := startProxyFix(t)
		if err := pf.proxy.Arm(p); err != nil {
			t.Fatal(err)
		}
		r := pf.fix(t, bin)
		fired := pf.proxy.Exchanges() >= p.Exchange
		if err := pf.proxy.Up(); err != nil { // vCenter is back
			t.Fatal(err)
		}
		if !fired {
			t.Logf("%s: the run made fewer than %d exchanges; nothing injected", name, p.Exchange)
			continue
		}
		st.count(fixPromise(t, name, pf.s, pf.dir, r, original, final, cleanCode, false, false))
		pf.s.srv.Close()
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("proxy-fix: %d cases (%d unchanged, %d done, %d recorded) in %s", st.cases, st.unchanged, st.done, st.recorded, time.Since(start).Round(time.Millisecond))
}

// sdkURL is the vSphere API's URL at addr (host:port).
func sdkURL(addr string) string { return "https://" + addr + "/sdk" }
