package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/carpvm/carpvm/carp/node"
)

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
