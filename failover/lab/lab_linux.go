package lab

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/node"
)

// Up builds the lab, or finds it already up with the same options. A
// failed Up removes what it made.
func Up(ctx context.Context, opts Options, log *slog.Logger) (l *Lab, already bool, err error) {
	if opts, err = opts.withDefaults(); err != nil {
		return nil, false, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := available(opts.Peer); err != nil {
		return nil, false, err
	}
	if opts.Switch != nil {
		if err := checkSwitchTools(); err != nil {
			return nil, false, err
		}
	}
	if opts.Executable == "" {
		if opts.Executable, err = os.Executable(); err != nil {
			return nil, false, fmt.Errorf("lab: find the carpvm binary: %w", err)
		}
	}
	st, err := loadState(opts.StateDir)
	if err != nil {
		return nil, false, err
	}
	if st != nil && st.Prefix != opts.Prefix {
		return nil, false, fmt.Errorf("lab: %s holds a lab with prefix %q; run `carpvm lab down` for it first or use another state directory", opts.StateDir, st.Prefix)
	}
	// Before anything is touched: a namespace named like the lab's that
	// the lab did not make stops it.
	left, err := existing(ctx, opts.Prefix, opts.names(st))
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("lab: state directory: %w", err)
	}
	if st != nil {
		l := &Lab{Opts: opts, State: st, log: log}
		if st.Prefix == opts.Prefix && st.Peer == opts.Peer && st.Mode() == opts.Mode && st.AdvBase == *opts.AdvBase && st.ActiveActive == opts.ActiveActive &&
			st.Node == opts.Node && st.Switch.Equal(opts.Switch) && l.health(ctx) == nil {
			return l, true, nil
		}
		log.Info("replacing the lab in the state directory", "peer", st.Peer, "advbase", st.AdvBase)
	}
	if st != nil || len(left) > 0 {
		// Left by an earlier lab of this prefix (marked as the lab's), or
		// the lab being replaced.
		if err := Down(ctx, opts, log); err != nil {
			return nil, false, err
		}
	}
	l = &Lab{Opts: opts, State: &State{Prefix: opts.Prefix, Peer: opts.Peer, Unicast: opts.Mode == ModeUnicast, AdvBase: *opts.AdvBase, ActiveActive: opts.ActiveActive,
		Node: opts.Node, Executable: opts.Executable, Created: time.Now().UTC(), Switch: opts.Switch}, log: log}
	if err := l.build(ctx); err != nil {
		if derr := Down(context.WithoutCancel(ctx), opts, log); derr != nil {
			err = errors.Join(err, fmt.Errorf("lab: cleaning after the failed up: %w", derr))
		}
		return nil, false, err
	}
	return l, false, nil
}

// Open returns the lab that is up in opts' state directory.
func Open(opts Options, log *slog.Logger) (*Lab, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := loadState(opts.StateDir)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("lab: no lab is up in %s; run `carpvm lab up`", opts.StateDir)
	}
	opts.Prefix, opts.Peer, opts.AdvBase, opts.Executable, opts.ActiveActive, opts.Node = st.Prefix, st.Peer, AdvBase(st.AdvBase), st.Executable, st.ActiveActive, st.Node
	opts.Switch, opts.Mode = st.Switch, st.Mode()
	return &Lab{Opts: opts, State: st, log: log}, nil
}

func available(peer string) error {
	if os.Geteuid() != 0 {
		return errors.New("lab: network namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
	tools := []string{"ip", "bridge"}
	if peer == PeerUcarp || peer == PeerKeepalived {
		tools = append(tools, peer)
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("lab: %s not found: %w", t, err)
		}
	}
	return nil
}

// Available says why a lab cannot be built here (nil when it can).
func Available(peer string) error { return available(peer) }

func (l *Lab) ns(short string) string { return l.Opts.Namespace(short) }

// AdvBase is the advbase both routers run with, in seconds (0: OpenBSD's
// sub-second mode), as the state file records it.
func (l *Lab) AdvBase() int { return l.State.AdvBase }

func (l *Lab) build(ctx context.Context) error {
	dir := l.Opts.StateDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("lab: state directory: %w", err)
	}
	for _, short := range []string{Switch, Router1, Router2, Client} {
		name := l.ns(short)
		if err := addMarked(ctx, name, l.Opts.Prefix); err != nil {
			return err
		}
		l.State.Namespaces = append(l.State.Namespaces, name)
		if err := l.State.save(dir); err != nil {
			return err
		}
		if _, err := nsRun(ctx, name, "ip", "link", "set", "lo", "up"); err != nil {
			return err
		}
	}
	sw := l.ns(Switch)
	for _, n := range Nets {
		if _, err := nsRun(ctx, sw, "ip", "link", "add", n.Bridge, "type", "bridge",
			"stp_state", "0", "mcast_snooping", "0", "forward_delay", "0"); err != nil {
			return err
		}
		if _, err := nsRun(ctx, sw, "ip", "link", "set", n.Bridge, "up"); err != nil {
			return err
		}
		for _, m := range Members {
			port := BridgePort(m, n)
			if _, err := run(ctx, "ip", "link", "add", n.Leg, "netns", l.ns(m), "type", "veth", "peer", "name", port, "netns", sw); err != nil {
				return err
			}
			if _, err := nsRun(ctx, sw, "ip", "link", "set", port, "master", n.Bridge, "up"); err != nil {
				return err
			}
			if _, err := nsRun(ctx, l.ns(m), "ip", "addr", "add", n.Addrs[m].String(), "dev", n.Leg); err != nil {
				return err
			}
			if _, err := nsRun(ctx, l.ns(m), "ip", "link", "set", n.Leg, "up"); err != nil {
				return err
			}
		}
	}
	if err := l.setSharedMACs(ctx); err != nil {
		return err
	}
	if err := l.buildSwitch(ctx); err != nil {
		return err
	}
	if l.Opts.Mode == ModeUnicast {
		if err := l.dropMulticast(ctx); err != nil {
			return err
		}
	}
	for _, n := range Nets {
		if err := writePass(filepath.Join(dir, n.Name+".pass")); err != nil {
			return err
		}
	}
	if err := l.writeScripts(); err != nil {
		return err
	}
	for _, r := range []string{Router1, Router2} {
		if err := l.startRouter(r); err != nil {
			return err
		}
	}
	if err := l.State.save(dir); err != nil {
		return err
	}
	return l.waitPreferred(ctx)
}

// Groups are this lab's CARP groups.
func (l *Lab) Groups() []Group { return Groups(l.State.ActiveActive) }

// writePass writes a fresh random passphrase (16 characters: ucarp and
// the kernels keep at most 19) to path, 0600.
func writePass(path string) error {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("lab: passphrase: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.RawURLEncoding.EncodeToString(b[:])+"\n"), 0o600); err != nil {
		return fmt.Errorf("lab: pass file: %w", err)
	}
	return nil
}

func (l *Lab) writeScripts() error {
	up := "#!/bin/sh\n# carpvm lab: ucarp up script (interface, VIP, prefix length)\nexec ip address add \"$2/$3\" dev \"$1\"\n"
	down := "#!/bin/sh\n# carpvm lab: ucarp down script\nexec ip address del \"$2/$3\" dev \"$1\"\n"
	for name, body := range map[string]string{"vip-up.sh": up, "vip-down.sh": down} {
		if err := os.WriteFile(filepath.Join(l.Opts.StateDir, name), []byte(body), 0o700); err != nil {
			return fmt.Errorf("lab: script: %w", err)
		}
	}
	return nil
}

// ControlSocket is the control socket of router's carpvm node.
func (l *Lab) ControlSocket(router string) string {
	return filepath.Join(l.Opts.StateDir, router+".sock")
}

func (l *Lab) kind(router string) string {
	if router == Router2 {
		return l.Opts.Peer
	}
	return PeerCarpvm
}

// vipOnLeg says whether router puts the VIPs on its legs, answering for
// them from its NICs' own MACs (ucarp, keepalived), rather than on a
// virtual MAC.
func (l *Lab) vipOnLeg(router string) bool {
	return l.kind(router) == PeerUcarp || l.kind(router) == PeerKeepalived
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
	for _, g := range l.Groups() {
		n := g.Net
		args := []string{"ucarp",
			"--interface=" + n.Leg, "--srcip=" + n.Addrs[router].Addr().String(), fmt.Sprintf("--vhid=%d", g.VHID),
			"--passfile=" + filepath.Join(dir, n.Name+".pass"), "--addr=" + g.VIP.Addr().String(),
			fmt.Sprintf("--advbase=%d", l.AdvBase()), fmt.Sprintf("--advskew=%d", g.AdvSkew(router)),
			"--preempt", "--shutdown",
			"--upscript=" + filepath.Join(dir, "vip-up.sh"), "--downscript=" + filepath.Join(dir, "vip-down.sh"),
			fmt.Sprintf("--xparam=%d", g.VIP.Bits()),
		}
		log := filepath.Join(dir, fmt.Sprintf("%s-%s-%d.log", router, n.Name, g.VHID))
		if err := l.start(Proc{Router: router, Net: n.Name, VHID: g.VHID, Kind: PeerUcarp, Log: log, Args: args}); err != nil {
			return err
		}
	}
	return nil
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

// otherRouter is the pair's other router.
func otherRouter(router string) string {
	if router == Router1 {
		return Router2
	}
	return Router1
}

// waitPreferred waits until every group's preferred router is its master.
func (l *Lab) waitPreferred(ctx context.Context) error {
	if split := l.splitPredicted(); split != "" {
		// The model drops the adverts: both routers become master after
		// the master-down time, and the lab is built as the vSwitch is.
		d := carp.MasterDown(uint8(l.AdvBase()), int(AdvSkew[Router2])) + time.Second
		l.log.Warn("the switch model drops the CARP adverts: both routers become master", "network", split)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	wait := carp.MasterDown(uint8(l.AdvBase()), int(AdvSkew[Router2])) + 10*time.Second
	deadline := time.Now().Add(wait)
	var last error
	for time.Now().Before(deadline) {
		st := l.Status(ctx)
		last = st.Err()
		if last == nil {
			ok := true
			for _, n := range st.Networks {
				if n.Master != n.Preferred {
					ok = false
					last = fmt.Errorf("lab: %s vhid %d: master is %q, want %s", n.Name, n.VHID, n.Master, n.Preferred)
				}
			}
			if ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("lab: the preferred routers did not become master within %s: %v (logs in %s)", wait, last, l.Opts.StateDir)
}

// Down stops the lab's processes and removes its namespaces and state
// files: exactly what Up made, found from the state file, and the lab's
// four namespace names.
func Down(ctx context.Context, opts Options, log *slog.Logger) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := loadState(opts.StateDir)
	if err != nil {
		return err
	}
	if st != nil && st.Prefix != opts.Prefix {
		return fmt.Errorf("lab: %s holds a lab with prefix %q, not %q", opts.StateDir, st.Prefix, opts.Prefix)
	}
	// Only namespaces the lab marked as its own; any other named like
	// them stops Down before it touches anything.
	names, err := existing(ctx, opts.Prefix, opts.names(st))
	if err != nil {
		return err
	}
	if st != nil {
		for _, p := range st.Procs {
			if procAlive(p) {
				_ = syscall.Kill(p.Pid, syscall.SIGTERM)
			}
		}
	}
	var errs []error
	for _, name := range names {
		// Anything still running inside (a node restarted by a drill, a
		// script): it belongs to the lab.
		if out, err := run(ctx, "ip", "netns", "pids", name); err == nil {
			for _, f := range strings.Fields(out) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGTERM)
					waitExit(pid, 2*time.Second)
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if _, err := run(ctx, "ip", "netns", "del", name); err != nil {
			errs = append(errs, err)
			continue
		}
		log.Info("removed namespace", "name", name)
	}
	if st != nil {
		for _, p := range st.Procs {
			_ = os.Remove(p.Log)
		}
	}
	kaFiles, _ := filepath.Glob(filepath.Join(opts.StateDir, keepalivedPrefix+"*"))
	for _, f := range kaFiles {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, f := range []string{"intranought.pass", "public.pass", "vip-up.sh", "vip-down.sh",
		Router1 + ".yaml", Router2 + ".yaml", Router1 + ".sock", Router2 + ".sock", StateFile,
		Router1 + ".sock.lock", Router2 + ".sock.lock"} {
		if err := os.Remove(filepath.Join(opts.StateDir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(opts.StateDir, nodeDir)); err != nil {
		errs = append(errs, err)
	}
	_ = os.Remove(opts.StateDir) // only when empty
	return errors.Join(errs...)
}

func (l *Lab) health(ctx context.Context) error { return l.Status(ctx).Err() }

// Status inspects the lab: namespaces, processes, each network's master
// (from the carpvm nodes' control sockets; healthy: exactly one) and the
// switch's ports (healthy: none isolated, no partition).
func (l *Lab) Status(ctx context.Context) Status {
	st := Status{Prefix: l.Opts.Prefix, StateDir: l.Opts.StateDir, Peer: l.Opts.Peer, Mode: l.Opts.Mode, AdvBase: l.AdvBase(), Procs: l.State.Procs, Switch: l.State.Switch}
	for _, c := range l.Causes("", 0, "") {
		st.Causes = append(st.Causes, c.String())
	}
	for _, name := range l.State.Namespaces {
		st.Namespaces = append(st.Namespaces, name)
		if _, err := os.Stat(filepath.Join("/run/netns", name)); err != nil {
			st.Problems = append(st.Problems, "namespace "+name+" is missing")
		}
	}
	if len(l.State.Namespaces) < 4 {
		st.Problems = append(st.Problems, "the lab is incomplete")
	}
	for _, p := range l.State.Procs {
		alive := procAlive(p)
		st.Running = append(st.Running, alive)
		if !alive {
			what := p.Router + " " + p.Kind
			if p.Net != "" {
				what += " (" + p.Net + ")"
			}
			st.Problems = append(st.Problems, what+" (pid "+strconv.Itoa(p.Pid)+") is not running; see "+p.Log)
		}
	}
	nodeStates := map[string]map[uint8]string{}
	for _, r := range []string{Router1, Router2} {
		if l.kind(r) == PeerKeepalived {
			nodeStates[r] = l.keepalivedStates()
		}
		if l.kind(r) != PeerCarpvm {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := node.Call(cctx, l.ControlSocket(r), node.Request{Command: node.CmdStatus})
		cancel()
		if err != nil || resp.Status == nil {
			st.Problems = append(st.Problems, fmt.Sprintf("%s: no status: %v", r, err))
			continue
		}
		nodeStates[r] = map[uint8]string{}
		for _, g := range resp.Status.Groups {
			nodeStates[r][g.VHID] = g.State.String()
		}
	}
	for _, g := range l.Groups() {
		n := g.Net
		ns := NetStatus{Name: n.Name, VHID: g.VHID, VIP: g.VIP.String(), Preferred: g.Preferred, States: map[string]string{}}
		for _, r := range []string{Router1, Router2} {
			if l.kind(r) == PeerUcarp {
				ns.States[r] = "stopped"
				for i, p := range l.State.Procs {
					if p.Router == r && p.Net == n.Name && (p.VHID == g.VHID || p.VHID == 0) && i < len(st.Running) && st.Running[i] {
						ns.States[r] = "running"
					}
				}
				continue
			}
			s, ok := nodeStates[r][g.VHID]
			if !ok {
				s = "unknown"
			}
			ns.States[r] = s
			if s == "MASTER" {
				if ns.Master != "" {
					ns.Master += "+"
				}
				ns.Master += r
			}
		}
		// ucarp has no status interface: it is master when the carpvm
		// node is not.
		if ns.Master == "" && l.Opts.Peer == PeerUcarp && ns.States[Router2] == "running" && ns.States[Router1] == "BACKUP" {
			ns.Master = Router2
		}
		if p := masterProblem(ns); p != "" {
			st.Problems = append(st.Problems, p)
		}
		st.Networks = append(st.Networks, ns)
	}
	st.Problems = append(st.Problems, l.partitionProblems(ctx)...)
	return st
}
