package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
	"github.com/carpvm/carpvm/internal/testbin"
)

// The wire tests run the carpvm binary (built once, lazily, by testbin) and real ucarp
// in network namespaces they create: a bridge namespace (the switch) and
// router and client namespaces joined to it by veth pairs.

func TestMain(m *testing.M) {
	code := testbin.Main(m)
	profileSummaries.print()
	os.Exit(code)
}

const (
	e2eVIP  = "172.27.27.14"
	e2eCIDR = "172.27.27.14/28"
	e2ePass = "123piano2026%"
)

var e2eVMAC = carp.VirtualMAC(1).String()

// pairLab is the typical user's IntraNought network: routers r1
// (172.27.27.11) and r2 (.12), a client (.9), on one bridge.
type pairLab struct {
	*lab
	r1, r2, client *netns.Port
	dir            string
	bin            string
}

func newPairLab(t testing.TB) *pairLab {
	t.Helper()
	l := newLab(t)
	p := &pairLab{lab: l, dir: t.TempDir()}
	p.bin = testbin.Carpvm(t)
	p.r1 = l.host(t, "r1", "172.27.27.11/28")
	p.r2 = l.host(t, "r2", "172.27.27.12/28")
	p.client = l.host(t, "cl", "172.27.27.9/28")
	p.passFile(t, "pass", e2ePass)
	return p
}

func (p *pairLab) passFile(t testing.TB, name, pass string) string {
	t.Helper()
	f := filepath.Join(p.dir, name)
	if err := os.WriteFile(f, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// node starts carpvm node run on r with advskew and extra flags; its
// control socket is returned.
func (p *pairLab) node(t testing.TB, r *netns.Port, advskew int, extra ...string) (*netns.Process, string) {
	t.Helper()
	sock := filepath.Join(p.dir, r.NS.Short+".sock")
	args := append([]string{"node", "run", "--interface", r.IfName, "--vhid", "1", "--vip", e2eCIDR,
		"--pass-file", filepath.Join(p.dir, "pass"), "--advbase", "1", "--advskew", fmt.Sprint(advskew),
		"--control-socket", sock}, append(p.dirFlags(), extra...)...)
	return startLogged(t, r, "carpvm node", p.bin, args...), sock
}

// startLogged starts name with args in r's namespace, failing the test at
// once if it cannot, and logs what the process printed if the test fails.
func startLogged(t testing.TB, r *netns.Port, what, name string, args ...string) *netns.Process {
	t.Helper()
	proc, err := r.NS.Start(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s on %s:\n%s", what, r.NS.Short, proc.Output())
		}
	})
	return proc
}

// inNamespace returns run, which runs a command in r's namespace and
// returns its output, and do, which calls fn there; both fail the test on
// an error.
func inNamespace(t testing.TB, ctx context.Context, r *netns.Port) (run func(args ...string) string, do func(what string, fn func() error)) {
	run = func(args ...string) string {
		t.Helper()
		out, err := r.NS.Run(ctx, args[0], args[1:]...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	do = func(what string, fn func() error) {
		t.Helper()
		if err := r.NS.Do(fn); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	return run, do
}

// status runs `carpvm node status -o json` and returns vhid 1's status.
func (p *pairLab) status(t testing.TB, sock string) (GroupStatus, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p.bin, "node", "status", "-o", "json", "--control-socket", sock).Output()
	if err != nil {
		return GroupStatus{}, fmt.Errorf("carpvm node status: %w", err)
	}
	var st Status
	if err := json.Unmarshal(out, &st); err != nil {
		return GroupStatus{}, fmt.Errorf("decode %q: %w", out, err)
	}
	if len(st.Groups) != 1 {
		return GroupStatus{}, fmt.Errorf("%d groups in %s", len(st.Groups), out)
	}
	return st.Groups[0], nil
}

// waitState polls a node until vhid 1 is in state want.
func (p *pairLab) waitState(t testing.TB, who, sock string, want carp.State, within time.Duration) GroupStatus {
	t.Helper()
	var last GroupStatus
	var lastErr error
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		last, lastErr = p.status(t, sock)
		if lastErr == nil && last.State == want {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never became %s within %s (last: %s, %v)", who, want, within, last.State, lastErr)
	return last
}

// eventually polls cond until it holds or within passes.
func eventually(t testing.TB, what string, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	var detail string
	for time.Now().Before(deadline) {
		var ok bool
		if ok, detail = cond(); ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s (%s)", what, within, detail)
}

func (p *pairLab) hasVIP(t testing.TB, r *netns.Port) (vip, macvlan bool) {
	t.Helper()
	out, err := r.NS.Run(context.Background(), "ip", "-o", "addr", "show")
	if err != nil {
		t.Fatal(err)
	}
	links, err := r.NS.Run(context.Background(), "ip", "-o", "link", "show")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(out, e2eVIP+"/"), strings.Contains(links, MacvlanName(1, r.IfName))
}

func (p *pairLab) clientReaches(t testing.TB, within time.Duration) {
	t.Helper()
	pinger, err := p.client.NS.Pinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Close()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := pinger.PingUntil(ctx, netip.MustParseAddr(e2eVIP), 200*time.Millisecond); err != nil {
		t.Fatalf("client cannot reach the VIP: %v", err)
	}
}

func (p *pairLab) fdbPort(t testing.TB, mac string) string {
	t.Helper()
	fdb, err := p.br.FDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return fdb[mac]
}

// 1. Lower advskew wins; SIGKILL makes the other MASTER; the switch
// relearns the virtual MAC on its port; the client keeps reaching the
// VIP; a restarted node cleans up what the crash left.
func TestWireFailoverAfterKill(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	n1, s1 := p.node(t, p.r1, 0)
	_, s2 := p.node(t, p.r2, 100)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.waitState(t, "r2", s2, carp.Backup, 5*time.Second)
	if vip, mv := p.hasVIP(t, p.r1); !vip || !mv {
		t.Fatalf("master r1: VIP %v, macvlan %v; want both", vip, mv)
	}
	if vip, mv := p.hasVIP(t, p.r2); vip || mv {
		t.Fatalf("backup r2: VIP %v, macvlan %v; want neither", vip, mv)
	}
	p.clientReaches(t, 10*time.Second)
	neigh, _ := p.client.NS.Run(context.Background(), "ip", "neigh", "show", e2eVIP)
	if !strings.Contains(neigh, e2eVMAC) {
		t.Errorf("client resolves the VIP as %q; want the virtual MAC %s", neigh, e2eVMAC)
	}
	eventually(t, "switch learns the virtual MAC on r1's port", 5*time.Second, func() (bool, string) {
		got := p.fdbPort(t, e2eVMAC)
		return got == p.r1.BridgePort, got
	})
	p.replyFromVMAC(t, "master r1")
	p.wantVIPRule(t, "master r1", p.r1, true)
	p.wantVIPRule(t, "backup r2", p.r2, false)

	if err := n1.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = n1.Wait(5 * time.Second)
	st := p.waitState(t, "r2 after r1 was killed", s2, carp.Master, 10*time.Second)
	if !strings.Contains(st.LastTransition.Reason, "master-down") {
		t.Errorf("r2 took over because %q; want the master-down timer", st.LastTransition.Reason)
	}
	eventually(t, "switch relearns the virtual MAC on r2's port", 5*time.Second, func() (bool, string) {
		got := p.fdbPort(t, e2eVMAC)
		return got == p.r2.BridgePort, got
	})
	p.clientReaches(t, 10*time.Second)
	p.replyFromVMAC(t, "r2 after r1 was killed")
	p.wantVIPRule(t, "master r2", p.r2, true)
	// The kill left r1's rule behind (and its macvlan, now also on r2).
	p.wantVIPRule(t, "killed r1", p.r1, true)

	// Crash-restart: r1 comes back as a backup and removes what the kill
	// left (the macvlan with the VIP, the source rule) before anything else.
	_, s1 = p.node(t, p.r1, 200)
	p.waitState(t, "restarted r1", s1, carp.Backup, 10*time.Second)
	if vip, mv := p.hasVIP(t, p.r1); vip || mv {
		t.Errorf("restarted r1 (BACKUP): VIP %v, macvlan %v left from the crash", vip, mv)
	}
	p.wantVIPRule(t, "restarted r1", p.r1, false)
	p.clientReaches(t, 10*time.Second)
	p.replyFromVMAC(t, "r2 after r1 restarted")
}

// 5. SIGTERM: the master bows out, the backup takes over because of the
// bow-out (not its timer), and the stopped node has no VIP or macvlan.
func TestWireGracefulStop(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	n1, s1 := p.node(t, p.r1, 0)
	_, s2 := p.node(t, p.r2, 100)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.waitState(t, "r2", s2, carp.Backup, 5*time.Second)
	p.replyFromVMAC(t, "master r1")
	p.wantVIPRule(t, "master r1", p.r1, true)
	if err := n1.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := n1.Wait(10 * time.Second); err != nil {
		t.Fatalf("r1 after SIGTERM: %v\n%s", err, n1.Output())
	}
	st := p.waitState(t, "r2 after r1's SIGTERM", s2, carp.Master, 3*time.Second)
	if !strings.Contains(st.LastTransition.Reason, "bow-out") {
		t.Errorf("r2 took over because %q; want r1's bow-out", st.LastTransition.Reason)
	}
	if vip, mv := p.hasVIP(t, p.r1); vip || mv {
		t.Errorf("stopped r1: VIP %v, macvlan %v; want neither", vip, mv)
	}
	if _, err := os.Stat(s1); !os.IsNotExist(err) {
		t.Errorf("control socket %s left after stop (%v)", s1, err)
	}
	p.wantVIPRule(t, "stopped r1", p.r1, false)
	p.wantVIPRule(t, "master r2", p.r2, true)
	p.clientReaches(t, 10*time.Second)
	p.replyFromVMAC(t, "r2 after r1's SIGTERM")
}

// 3. carpvm's adverts decode in tshark as CARP with a good checksum.
func TestWireTsharkDecodes(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("skipping: tshark not installed (make test-deps installs it)")
	}
	p := newPairLab(t)
	_, s1 := p.node(t, p.r1, 0)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	out, err := p.r2.NS.Run(context.Background(), "tshark", "-i", "eth0", "-a", "duration:3",
		"-f", "ip proto 112", "-d", "ip.proto==112,carp", "-V", "-o", "carp.check_checksum:TRUE")
	if err != nil {
		// Older tshark lacks the preference; the checksum is checked anyway.
		out, err = p.r2.NS.Run(context.Background(), "tshark", "-i", "eth0", "-a", "duration:3",
			"-f", "ip proto 112", "-d", "ip.proto==112,carp", "-V")
	}
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Common Address Redundancy Protocol",
		"Virtual Host ID: 1",
		"(00:00:5e:00:01:01)",
		"Time to Live: 255",
		"Differentiated Services Field: 0xe0",
		"Don't fragment: Set",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tshark output lacks %q", want)
		}
	}
	if !strings.Contains(out, "[Checksum Status: Good]") && !strings.Contains(out, "[correct]") {
		t.Errorf("tshark does not report a good CARP checksum")
	}
	if strings.Contains(out, "Bad") || strings.Contains(out, "incorrect") {
		t.Errorf("tshark reports something bad:\n%s", out)
	}
	if t.Failed() {
		t.Logf("tshark output:\n%s", out)
	}
}

// carpvm watch, listen-only, reports the group, its master and a good HMAC.
func TestWireWatch(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	_, s1 := p.node(t, p.r1, 0)
	_, s2 := p.node(t, p.r2, 100)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.waitState(t, "r2", s2, carp.Backup, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := p.client.NS.Command(ctx, p.bin, "watch", "--interface", "eth0", "--duration", "3s", "-o", "json",
		"--pass-file", filepath.Join(p.dir, "pass"), "--vip", "1="+e2eVIP)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("carpvm watch: %v\n%s", err, out)
	}
	var snap struct {
		Groups []struct {
			Protocol    string       `json:"protocol"`
			ID          int          `json:"id"`
			Masters     []netip.Addr `json:"masters"`
			Advertisers []struct {
				Src     netip.Addr `json:"source"`
				MAC     string     `json:"mac"`
				Auth    string     `json:"auth"`
				AdvSkew int        `json:"advskew"`
			} `json:"advertisers"`
		} `json:"groups"`
		Warnings []struct{ Code string } `json:"warnings"`
	}
	if err := json.Unmarshal(out, &snap); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if len(snap.Groups) != 1 || snap.Groups[0].Protocol != "carp" || snap.Groups[0].ID != 1 {
		t.Fatalf("groups = %+v; want carp vhid 1 alone", snap.Groups)
	}
	g := snap.Groups[0]
	if len(g.Masters) != 1 || g.Masters[0] != netip.MustParseAddr("172.27.27.11") {
		t.Errorf("masters = %v; want [172.27.27.11]", g.Masters)
	}
	if len(g.Advertisers) != 1 || g.Advertisers[0].Auth != "ok" || g.Advertisers[0].MAC != e2eVMAC {
		t.Errorf("advertisers = %+v; want r1 from %s with a verified HMAC", g.Advertisers, e2eVMAC)
	}
	if len(snap.Warnings) != 0 {
		t.Errorf("warnings on a healthy pair: %+v", snap.Warnings)
	}
}

// peerRole is the role a peer (ucarp, keepalived) last wrote to its state
// file from its up/down or notify script.
func peerRole(state string) string {
	b, _ := os.ReadFile(state)
	return strings.TrimSpace(string(b))
}

func waitRole(t testing.TB, who, state, want string, within time.Duration) {
	t.Helper()
	eventually(t, who+" becomes "+want, within, func() (bool, string) {
		got := peerRole(state)
		return got == want, got
	})
}
