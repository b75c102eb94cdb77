package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/statepaths"
	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// killedDrill is a served simulator (behind a TCP proxy that can go away,
// as a vCenter does), a carpvm.yaml pointing at it and a carpvm binary
// to drill it with and kill.
type killedDrill struct {
	bin, cfg, history string
	srv               *sim.Server
	proxy             *tcpProxy
	env               map[string]string
}

func newKilledDrill(t *testing.T, bin string) *killedDrill {
	t.Helper()
	tmp := t.TempDir()
	srv, err := sim.Start(context.Background(), sim.Default(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	proxy := startTCPProxy(t, strings.TrimSuffix(strings.TrimPrefix(srv.URL, "https://"), "/sdk"))
	k := &killedDrill{bin: bin, cfg: filepath.Join(tmp, "carpvm.yaml"), history: filepath.Join(tmp, "history"), srv: srv, proxy: proxy,
		env: map[string]string{statepaths.LockDirEnv: filepath.Join(tmp, "locks"), "XDG_STATE_HOME": filepath.Join(tmp, "state"), "CARPVM_VSPHERE_PASSWORD": srv.Password.Reveal()}}
	body := fmt.Sprintf("vsphere:\n  url: https://%s/sdk\n  username: %s\n  thumbprint: %q\n%s", proxy.addr, srv.Username, srv.Thumbprint, config.SimulatorYAML)
	if err := os.WriteFile(k.cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return k
}

// drill runs the binary's drill of router-002 on intranought, killed by
// the test seam at phase ("" for none); it returns the binary's combined
// output and whether SIGKILL ended it.
func (k *killedDrill) drill(t *testing.T, trigger, phase string) (string, bool) {
	t.Helper()
	cmd := exec.Command(k.bin, "drill", "--config", k.cfg, "--no-witness", "--force", "--network", "intranought", "--trigger", trigger, "--history", k.history, "--progress")
	cmd.Env = os.Environ()
	for key, v := range k.env {
		cmd.Env = append(cmd.Env, key+"="+v)
	}
	if phase != "" {
		cmd.Env = append(cmd.Env, stopAtEnv+"="+phase)
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
	return string(out), killed
}

// restore runs drill restore (in process) against the pair.
func (k *killedDrill) restore(t *testing.T) (int, string, string) {
	t.Helper()
	return runDrillCLI(t, k.env, "drill", "restore", "--config", k.cfg, "--history", k.history)
}

// state reads router-002's power state and its NIC's connection on
// IntraNought straight from the simulator.
func (k *killedDrill) state(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	s, err := vsphere.Open(ctx, k.srv.VSphereConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	ps, err := s.PowerState(ctx, sim.Router1)
	if err != nil {
		t.Fatal(err)
	}
	nic, err := s.NIC(ctx, sim.Router1, sim.PortgroupInternal)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s connected=%t", ps, nic.Connected)
}

func (k *killedDrill) journal(t *testing.T) *failover.Journal {
	t.Helper()
	j, err := failover.ReadJournal(k.history, "routers")
	if err != nil {
		t.Fatal(err)
	}
	return j
}

const simRestored = "poweredOn connected=true"

// TestDrillKilledAtEachPhaseRestoresOnTheSimulator: a real carpvm drill of
// a served simulator, SIGKILLed at each journal phase of each trigger,
// leaves a journal naming what it changed; drill restore brings the router
// back exactly (powered on, NIC connected), reading it first, and removes
// the journal; a new drill after a killed one restores first and says so.
func TestDrillKilledAtEachPhaseRestoresOnTheSimulator(t *testing.T) {
	bin := testbin.Carpvm(t)
	k := newKilledDrill(t, bin)
	if got := k.state(t); got != simRestored {
		t.Fatalf("simulator starts %s", got)
	}
	for _, trigger := range []string{"power-off", "nic-disconnect"} {
		// A powered-off VM's NIC shows disconnected (vcsim, as ESXi).
		effect := map[string]string{"power-off": "poweredOff connected=false", "nic-disconnect": "poweredOn connected=false"}[trigger]
		for _, phase := range failover.JournalPhases() {
			t.Run(trigger+"/"+phase, func(t *testing.T) {
				out, killed := k.drill(t, trigger, phase)
				if !killed {
					t.Fatalf("the drill was not killed at %s:\n%s", phase, out)
				}
				want := map[string]string{failover.JournalJournaled: simRestored, failover.JournalTriggered: effect, failover.JournalRestoring: effect, failover.JournalUndone: simRestored}[phase]
				if got := k.state(t); got != want {
					t.Fatalf("killed at %s: router-002 %s, want %s", phase, got, want)
				}
				j := k.journal(t)
				if j == nil || j.Trigger != trigger || j.Router != "router-002" || j.RestoreCommand != "carpvm drill restore --config "+k.cfg+" --pair routers --history "+k.history {
					t.Fatalf("killed at %s: journal %+v", phase, j)
				}
				code, stdout, stderr := k.restore(t)
				if code != exitOK {
					t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
				}
				wantSaid := "restored"
				if want == simRestored {
					wantSaid = "nothing to undo"
				}
				if !strings.Contains(stdout, wantSaid) {
					t.Errorf("restore says %q, want %q", stdout, wantSaid)
				}
				if got := k.state(t); got != simRestored {
					t.Errorf("after the restore: router-002 %s, want %s", got, simRestored)
				}
				if j := k.journal(t); j != nil {
					t.Errorf("journal left after the restore: %+v", j)
				}
			})
		}
	}
	t.Run("nothing left", func(t *testing.T) {
		if code, stdout, stderr := k.restore(t); code != exitOK || !strings.Contains(stdout, "nothing to restore") {
			t.Errorf("restore with no journal: exit %d %q %q", code, stdout, stderr)
		}
	})
	t.Run("the next drill restores first", func(t *testing.T) {
		if _, killed := k.drill(t, "power-off", failover.JournalTriggered); !killed {
			t.Fatal("not killed")
		}
		out, killed := k.drill(t, "power-off", "")
		if killed || !strings.Contains(out, "was cut short; restored") {
			t.Errorf("next drill did not say it restored first:\n%s", out)
		}
		if got := k.state(t); got != simRestored || k.journal(t) != nil {
			t.Errorf("after the next drill: router-002 %s, journal %+v", got, k.journal(t))
		}
	})
	t.Run("vCenter gone keeps the journal", func(t *testing.T) { drillRestoreWithVCenterGoneKeepsTheJournal(t, newKilledDrill(t, bin)) })
	t.Run("another target's journal", func(t *testing.T) { drillRestoreOfAnotherTargetsJournal(t, newKilledDrill(t, bin)) })
	t.Run("a fleet", func(t *testing.T) { drillRestoreOfAFleet(t, newKilledDrill(t, bin)) })
}

// drillRestoreOfAFleet: drill restore without --pair restores every pair
// of a fleet that left a journal, and connects to none that did not (the
// other pair's vCenter does not exist).
func drillRestoreOfAFleet(t *testing.T, k *killedDrill) {
	pairYAML := strings.Replace(config.SimulatorYAML, "  name: routers\n", "", 1)
	var b strings.Builder
	fmt.Fprintf(&b, "vsphere:\n  url: https://%s/sdk\n  username: %s\n  thumbprint: %q\npairs:\n", k.proxy.addr, k.srv.Username, k.srv.Thumbprint)
	for _, name := range []string{"paris", "roubaix"} {
		fmt.Fprintf(&b, "  - name: %s\n", name)
		if name == "roubaix" {
			b.WriteString("    vsphere:\n      url: https://vcenter.invalid/sdk\n      username: u\n")
		}
		for _, line := range strings.Split(strings.TrimRight(pairYAML, "\n"), "\n") {
			b.WriteString("    " + line + "\n")
		}
	}
	if err := os.WriteFile(k.cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(k.bin, "drill", "--config", k.cfg, "--pair", "paris", "--no-witness", "--force", "--network", "intranought", "--trigger", "power-off", "--history", k.history)
	cmd.Env = os.Environ()
	for key, v := range k.env {
		cmd.Env = append(cmd.Env, key+"="+v)
	}
	cmd.Env = append(cmd.Env, stopAtEnv+"="+failover.JournalTriggered)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("the drill was not killed: %v\n%s", err, out)
	}
	if got := k.state(t); got != "poweredOff connected=false" {
		t.Fatalf("router-002 %s", got)
	}
	code, stdout, stderr := k.restore(t)
	if code != exitOK || !strings.Contains(stdout, "restored drill of pair paris") || !strings.Contains(stdout, "nothing to restore") {
		t.Errorf("fleet restore: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := k.state(t); got != simRestored {
		t.Errorf("router-002 %s after the fleet's restore", got)
	}
}

// drillRestoreWithVCenterGoneKeepsTheJournal: a drill killed with the
// router off, then vCenter gone: drill restore exits 3, keeps the journal
// and names the router's state and the command; with vCenter back the
// same command restores the router exactly.
func drillRestoreWithVCenterGoneKeepsTheJournal(t *testing.T, k *killedDrill) {
	if _, killed := k.drill(t, "power-off", failover.JournalTriggered); !killed {
		t.Fatal("not killed")
	}
	k.proxy.stop()
	code, _, stderr := k.restore(t)
	for _, want := range []string{"VM router-002 (before: VM router-002 is poweredOn", "phase triggered", "carpvm drill restore --config " + k.cfg, "is kept"} {
		if code != exitVSphere || !strings.Contains(stderr, want) {
			t.Errorf("restore with vCenter gone: exit %d, want 3 saying %q:\n%s", code, want, stderr)
		}
	}
	if k.journal(t) == nil {
		t.Fatal("journal removed while vCenter was gone")
	}
	if got := k.state(t); got != "poweredOff connected=false" {
		t.Errorf("router-002 %s", got)
	}
	k.proxy.start(t)
	if code, stdout, stderr := k.restore(t); code != exitOK || !strings.Contains(stdout, "restored") {
		t.Errorf("restore with vCenter back: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := k.state(t); got != simRestored || k.journal(t) != nil {
		t.Errorf("after the restore: router-002 %s, journal %+v", got, k.journal(t))
	}
}

// drillRestoreOfAnotherTargetsJournal: a journal of another target is
// refused (2) before anything is touched.
func drillRestoreOfAnotherTargetsJournal(t *testing.T, k *killedDrill) {
	if _, killed := k.drill(t, "power-off", failover.JournalTriggered); !killed {
		t.Fatal("not killed")
	}
	other := filepath.Join(t.TempDir(), "carpvm.yaml")
	body := fmt.Sprintf("vsphere:\n  url: https://vcenter.invalid/sdk\n  username: u\n%s", config.SimulatorYAML)
	if err := os.WriteFile(other, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runDrillCLI(t, k.env, "drill", "restore", "--config", other, "--history", k.history)
	if code != exitUsage || !strings.Contains(stderr, "https://"+k.proxy.addr+"/sdk") || !strings.Contains(stderr, "nothing was touched") {
		t.Errorf("restore against another target: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := k.restore(t); code != exitOK {
		t.Errorf("restore: exit %d\n%s", code, stderr)
	}
}

// tcpProxy forwards a local port to a target, and can go away (every
// connection dropped, nothing listening) and come back on the same port.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func startTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{addr: "127.0.0.1:0", target: target}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
