package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// routerNode starts carpvm node run --config with a node.yaml of vhid 1 on
// r and the router-level settings given (YAML lines at the top level).
func (p *pairLab) routerNode(t *testing.T, r *netns.Port, advskew int, top string) string {
	t.Helper()
	cfg := filepath.Join(p.dir, r.NS.Short+".yaml")
	body := fmt.Sprintf("%s\ngroups:\n  - {interface: %s, vhid: 1, vips: [%s], advskew: %d, preempt: true, pass_file: %s}\n",
		top, r.IfName, e2eCIDR, advskew, filepath.Join(p.dir, "pass"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(p.dir, r.NS.Short+".sock")
	startLogged(t, r, "carpvm node", p.bin, append([]string{"node", "run", "--config", cfg, "--control-socket", sock}, p.dirFlags()...)...)
	return sock
}

// A failing track script demotes the router by its weight: the master
// bows out and the peer takes over; when the script succeeds again the
// router takes its group back (preempt).
func TestWireTrackScriptDemotes(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	flag := filepath.Join(p.dir, "gateway-down")
	s1 := p.routerNode(t, p.r1, 0, fmt.Sprintf("track:\n  - {name: gw, command: \"test ! -e %s\", interval: 500ms, timeout: 400ms, weight: 240}", flag))
	_, s2 := p.node(t, p.r2, 100, "--preempt")
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.waitState(t, "r2", s2, carp.Backup, 5*time.Second)

	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p.waitState(t, "r2 after r1's track failed", s2, carp.Master, 10*time.Second)
	st := p.waitState(t, "r1 with its track failing", s1, carp.Backup, 5*time.Second)
	if st.Demotion != carp.DemotionFactor {
		t.Errorf("r1's group demotion %d, want %d from the track", st.Demotion, carp.DemotionFactor)
	}
	out := p.statusText(t, s1)
	if !strings.Contains(out, "router demoted by 240: track gw (240)") || !strings.Contains(out, "track gw: FAILING") {
		t.Errorf("r1's node status does not say why it is demoted:\n%s", out)
	}

	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	p.waitState(t, "r1 after its track recovered", s1, carp.Master, 10*time.Second)
	p.waitState(t, "r2 after r1 took its group back", s2, carp.Backup, 5*time.Second)
}

// A router started with preempt_delay leaves the group with the peer for
// that long, then takes it back.
func TestWirePreemptDelayHoldsBack(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	_, s2 := p.node(t, p.r2, 100, "--preempt")
	p.waitState(t, "r2 alone", s2, carp.Master, 15*time.Second)
	const delay = 4 * time.Second
	started := time.Now()
	s1 := p.routerNode(t, p.r1, 0, fmt.Sprintf("preempt_delay: %s", delay))
	st := p.waitState(t, "r1 after its preempt delay", s1, carp.Master, delay+10*time.Second)
	// Timers never fire early: the takeover cannot come before the delay.
	if took := st.LastTransition.At.Sub(started); took < delay {
		t.Errorf("r1 preempted %s after it started, before its %s delay", took, delay)
	}
	if !strings.Contains(st.LastTransition.Reason, "preempting") {
		t.Errorf("r1 became master because %q; want preemption of the slower r2", st.LastTransition.Reason)
	}
}

// statusText is `carpvm node status` as a person reads it.
func (p *pairLab) statusText(t *testing.T, sock string) string {
	t.Helper()
	out, err := execOutput(p.bin, "node", "status", "--control-socket", sock)
	if err != nil {
		t.Fatalf("node status: %v\n%s", err, out)
	}
	return out
}

func execOutput(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}
