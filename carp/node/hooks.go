package node

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// ScriptTimeout bounds one run of an up or down script.
const ScriptTimeout = 30 * time.Second

// hookRunner runs a group's up and down scripts one at a time, in order,
// off the loop, with ucarp's arguments: interface, VIP, extra parameter
// (once per VIP). The environment adds CARPVM_VHID, CARPVM_STATE and
// CARPVM_VIPS; the passphrase is never passed.
type hookRunner struct {
	g    Group
	run  func(ctx context.Context, path string, args, env []string) ([]byte, error)
	log  *slog.Logger
	jobs chan carp.Transition
	done chan struct{}
}

func (n *Node) startHooks() (wait func()) {
	for _, g := range n.groups {
		g.hooks = &hookRunner{g: g.cfg, run: n.opts.RunScript, log: g.log,
			jobs: make(chan carp.Transition, 64), done: make(chan struct{})}
		go g.hooks.loop()
	}
	return func() {
		for _, g := range n.groups {
			<-g.hooks.done
		}
	}
}

// transition queues the script for t, if the group has one.
func (h *hookRunner) transition(t carp.Transition) {
	script := h.script(t)
	if script == "" {
		return
	}
	select {
	case h.jobs <- t:
	default:
		h.log.Warn("script queue full; skipping a script run", "script", script, "state", t.To.String())
	}
}

func (h *hookRunner) script(t carp.Transition) string {
	if t.To == carp.Master {
		return h.g.UpScript
	}
	return h.g.DownScript
}

func (h *hookRunner) close() { close(h.jobs) }

func (h *hookRunner) loop() {
	defer close(h.done)
	for t := range h.jobs {
		script := h.script(t)
		env := []string{
			"CARPVM_VHID=" + strconv.Itoa(int(h.g.VHID)),
			"CARPVM_STATE=" + t.To.String(),
			"CARPVM_VIPS=" + joinPrefixes(h.g),
		}
		for _, vip := range h.g.VIPs {
			args := []string{h.g.Interface, vip.Addr().String()}
			if h.g.XParam != "" {
				args = append(args, h.g.XParam)
			}
			ctx, cancel := context.WithTimeout(context.Background(), ScriptTimeout)
			out, err := h.run(ctx, script, args, env)
			cancel()
			if err != nil {
				h.log.Error("script failed", "script", script, "vip", vip.Addr(), "err", err, "output", strings.TrimSpace(string(out)))
				continue
			}
			h.log.Info("script ran", "script", script, "vip", vip.Addr(), "state", t.To.String())
		}
	}
}

func joinPrefixes(g Group) string {
	s := make([]string, len(g.VIPs))
	for i, p := range g.VIPs {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}

func execScript(ctx context.Context, path string, args, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("node: run %s: %w", path, err)
	}
	return out, nil
}
