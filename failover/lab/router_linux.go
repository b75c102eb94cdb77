package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ControlSocket is the control socket of router's carpvm node.
func (l *Lab) ControlSocket(router string) string {
	return filepath.Join(l.Opts.StateDir, router+".sock")
}

// nodeDir holds the carpvm nodes' locks and replay memory, inside the lab's
// directory rather than the host's /run/carpvm and /var/lib/carpvm.
const nodeDir = "node"

// startRouter starts router's CARP process(es) and records them.
func (l *Lab) startRouter(router string) error {
	dir := l.Opts.StateDir
	if l.kind(router) == PeerCarpvm {
		cfg := filepath.Join(dir, router+".yaml")
		if err := os.WriteFile(cfg, []byte(l.nodeYAML(router)), 0o600); err != nil {
			return fmt.Errorf("lab: node config: %w", err)
		}
		return l.start(Proc{Router: router, Kind: PeerCarpvm, Log: filepath.Join(dir, router+".log"),
			Args: []string{l.Opts.Executable, "node", "run", "--config", cfg, "--log-level", "debug", "--control-socket", l.ControlSocket(router),
				"--run-dir", filepath.Join(dir, nodeDir), "--state-dir", filepath.Join(dir, nodeDir)}})
	}
	if l.kind(router) == PeerKeepalived {
		return l.startKeepalived(router)
	}
	return l.startUcarp(router)
}

func (l *Lab) nodeYAML(router string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# carpvm lab: %s\nname: %s\n", router, router)
	if l.State.Node.NoFreezeReannounce {
		b.WriteString("freeze_reannounce: false\n")
	}
	b.WriteString("groups:\n")
	for _, g := range l.Groups() {
		fmt.Fprintf(&b, "  - interface: %s\n    vhid: %d\n    vips: [%s]\n    advbase: %d\n    advskew: %d\n    preempt: true\n    preferred: %s\n",
			g.Net.Leg, g.VHID, g.VIP, l.AdvBase(), g.AdvSkew(router), g.Preferred)
		if l.Opts.VRRP() {
			// VRRPv3 has no authentication: no pass_file.
			fmt.Fprintf(&b, "    carpver: 3\n    vrrpprio: %d\n    vrrpinterval: %d\n", g.VRRPPriority(router), VRRPInterval(l.AdvBase()))
		} else {
			fmt.Fprintf(&b, "    pass_file: %s\n", filepath.Join(l.Opts.StateDir, g.Net.Name+".pass"))
		}
		if l.Opts.Mode == ModeUnicast {
			fmt.Fprintf(&b, "    peer: %s\n", g.Net.Addrs[otherRouter(router)].Addr())
		}
		if l.sharedMAC(g.Net) != nil || l.State.Node.NoVMAC {
			// The VIP answers from the NIC's own MAC: shared, as OVH
			// requires, or with no_vmac, as keepalived does by default.
			b.WriteString("    no_vmac: true\n")
		}
	}
	return b.String()
}

// start runs p detached inside router's namespace (own session, output to
// its log) and records its pid.
func (l *Lab) start(p Proc) error {
	logf, err := os.OpenFile(p.Log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("lab: log file: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command("ip", append([]string{"netns", "exec", l.ns(p.Router)}, p.Args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("lab: start %s in %s: %w", p.Args[0], p.Router, err)
	}
	// Reap it if it dies while this process lives (tests, drills); once
	// this process exits, init adopts it.
	go func() { _ = cmd.Wait() }()
	p.Pid = cmd.Process.Pid
	l.State.Procs = append(l.State.Procs, p)
	l.log.Info("started", "router", p.Router, "kind", p.Kind, "pid", p.Pid, "log", p.Log)
	return l.State.save(l.Opts.StateDir)
}

// stopRouter sends sig to router's processes and forgets them. They are
// all stopped (SIGSTOP) first, so that none sees another die and acts on
// it: keepalived's VRRP child would stop gracefully when its parent dies,
// and its parent would respawn a killed child.
func (l *Lab) stopRouter(router string, sig syscall.Signal) {
	keep := l.State.Procs[:0]
	var mine, dying []Proc
	for _, p := range l.State.Procs {
		if p.Router != router {
			keep = append(keep, p)
			continue
		}
		switch {
		case procAlive(p):
			mine = append(mine, p)
			_ = syscall.Kill(p.Pid, syscall.SIGSTOP)
		case procState(p.Pid) == "Z":
			dying = append(dying, p) // killed before: its threads may still hold its sockets
		}
	}
	for _, p := range mine {
		_ = syscall.Kill(p.Pid, sig)
		_ = syscall.Kill(p.Pid, syscall.SIGCONT) // a stopped process acts on sig only once continued
	}
	// Only once every thread has gone are its sockets closed, the node's
	// group lock among them: a node started before is refused. Closing a
	// packet socket waits for the network's RCU grace period, which takes
	// a while on a busy host.
	for _, p := range append(mine, dying...) {
		if !waitExit(p.Pid, stopWait) {
			l.log.Warn("a stopped process has not exited yet: a restart may be refused its locks", "router", router, "pid", p.Pid, "waited", stopWait)
		}
	}
	l.State.Procs = keep
}

// stopWait bounds how long stopRouter waits for each process to exit.
const stopWait = 10 * time.Second
