package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// nodeOn starts carpvm node run for vhid 1 on r with the given control
// socket ("" leaves the flag out: the default) and extra flags.
func (p *pairLab) nodeOn(t testing.TB, r *netns.Port, advskew int, sock string, extra ...string) *netns.Process {
	t.Helper()
	args := []string{"node", "run", "--interface", r.IfName, "--vhid", "1", "--vip", e2eCIDR,
		"--pass-file", filepath.Join(p.dir, "pass"), "--advbase", "1", "--advskew", fmt.Sprint(advskew)}
	if sock != "" {
		args = append(args, "--control-socket", sock)
	}
	args = append(args, p.dirFlags()...)
	return startLogged(t, r, "carpvm node", p.bin, append(args, extra...)...)
}

// wantRefused waits for proc to exit with an error whose output names
// want.
func wantRefused(t testing.TB, who string, proc *netns.Process, want ...string) {
	t.Helper()
	if err := proc.Wait(15 * time.Second); err == nil || !proc.Exited() {
		t.Fatalf("%s was not refused (%v):\n%s", who, err, proc.Output())
	}
	for _, w := range want {
		if !strings.Contains(proc.Output(), w) {
			t.Errorf("%s: output lacks %q:\n%s", who, w, proc.Output())
		}
	}
}

// masterIntact checks that r1 is MASTER with its macvlan and VIP, and that
// the client resolves the VIP to the virtual MAC afresh and reaches it.
func (p *pairLab) masterIntact(t testing.TB, when, sock string) {
	t.Helper()
	p.waitState(t, "r1 "+when, sock, carp.Master, 3*time.Second)
	if vip, mv := p.hasVIP(t, p.r1); !vip || !mv {
		t.Fatalf("r1 %s: VIP %v, macvlan %v; want both", when, vip, mv)
	}
	p.clientAnswers(t, when, true)
}

// clientAnswers flushes the client's neighbour cache and checks whether
// the VIP answers (resolving to the virtual MAC) or not.
func (p *pairLab) clientAnswers(t testing.TB, when string, want bool) {
	t.Helper()
	ctx := context.Background()
	if out, err := p.client.NS.Run(ctx, "ip", "neigh", "flush", "dev", p.client.IfName); err != nil {
		t.Fatalf("flush neighbours: %v %s", err, out)
	}
	pinger, err := p.client.NS.Pinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Close()
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err = pinger.PingUntil(pctx, netip.MustParseAddr(e2eVIP), 200*time.Millisecond)
	neigh, _ := p.client.NS.Run(ctx, "ip", "neigh", "show", e2eVIP)
	switch {
	case want && err != nil:
		t.Fatalf("%s: the client cannot reach the VIP: %v", when, err)
	case want && !strings.Contains(neigh, e2eVMAC):
		t.Fatalf("%s: the client resolves the VIP as %q; want %s", when, neigh, e2eVMAC)
	case !want && (err == nil || strings.Contains(neigh, e2eVMAC)):
		t.Fatalf("%s: the VIP still answers (%v, neighbour %q)", when, err, neigh)
	}
}

// TestWireSecondNodeRefused: a second node started by mistake on a running
// master's interface and vhid, or on its control socket, is refused before
// it touches anything: the master keeps its macvlan and VIP and answers.
func TestWireSecondNodeRefused(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	s1 := filepath.Join(p.dir, "r1.sock")
	n1 := p.nodeOn(t, p.r1, 0, s1)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.masterIntact(t, "before", s1)
	pid := fmt.Sprintf("pid %d", n1.Pid())

	second := p.nodeOn(t, p.r1, 50, filepath.Join(p.dir, "other.sock"))
	wantRefused(t, "a second node on eth0 vhid 1", second, "eth0", "vhid 1", pid)
	p.masterIntact(t, "after a second node on its vhid", s1)

	third := p.nodeOn(t, p.r1, 50, s1)
	wantRefused(t, "a node on the same control socket", third, s1, pid, "--control-socket")
	p.masterIntact(t, "after a node on its control socket", s1)
}

// TestWireCleanupAfterKill: a SIGKILLed master leaves its macvlan
// answering ARP for the VIP; carpvm node cleanup removes it, and refuses
// while a live node runs.
func TestWireCleanupAfterKill(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	s1 := filepath.Join(p.dir, "r1.sock")
	n1 := p.nodeOn(t, p.r1, 0, s1)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.wantVIPRule(t, "master r1", p.r1, true)
	if err := n1.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = n1.Wait(5 * time.Second)
	if vip, mv := p.hasVIP(t, p.r1); !vip || !mv {
		t.Fatalf("killed r1: VIP %v, macvlan %v; the kill should leave both", vip, mv)
	}
	p.clientAnswers(t, "after the kill", true)

	cleanup := append([]string{"node", "cleanup", "--interface", p.r1.IfName, "--vhid", "1", "--vip", e2eCIDR}, p.dirFlags()[:2]...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := p.r1.NS.Run(ctx, p.bin, cleanup...); err != nil {
		t.Fatalf("carpvm node cleanup: %v\n%s", err, out)
	}
	if vip, mv := p.hasVIP(t, p.r1); vip || mv {
		t.Fatalf("after cleanup: VIP %v, macvlan %v; want neither", vip, mv)
	}
	p.wantVIPRule(t, "r1 after cleanup", p.r1, false)
	p.clientAnswers(t, "after cleanup", false)

	// A live node holds the instance lock: cleanup refuses and changes
	// nothing.
	n1 = p.nodeOn(t, p.r1, 0, s1)
	p.waitState(t, "restarted r1", s1, carp.Master, 15*time.Second)
	out, err := p.r1.NS.Run(ctx, p.bin, cleanup...)
	if err == nil || !strings.Contains(out, fmt.Sprintf("pid %d", n1.Pid())) {
		t.Fatalf("cleanup next to a live node: %v\n%s; want a refusal naming pid %d", err, out, n1.Pid())
	}
	p.masterIntact(t, "after a refused cleanup", s1)
}

// nodeStatus runs carpvm node status -o json in r's namespace with the
// given extra flags.
func (p *pairLab) nodeStatus(t testing.TB, r *netns.Port, extra ...string) (Status, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := r.NS.Run(ctx, p.bin, append([]string{"node", "status", "-o", "json"}, extra...)...)
	if err != nil {
		return Status{}, fmt.Errorf("carpvm node status: %w", err)
	}
	var st Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return Status{}, fmt.Errorf("decode %q: %w", out, err)
	}
	return st, nil
}

// TestWireOtherVLANAdvertIgnored: an authentic, better advert of the same
// vhid tagged for another VLAN reaches the master's untagged interface; the
// master ignores it (counted as other_vlan) and stays MASTER.
func TestWireOtherVLANAdvertIgnored(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	for _, k := range []string{"net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-arptables"} {
		_ = p.br.NS.Sysctl(t.Context(), k, "0")
	}
	s1 := filepath.Join(p.dir, "r1.sock")
	p.nodeOn(t, p.r1, 100, s1)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)

	before, err := p.nodeStatus(t, p.r1, "--control-socket", s1)
	if err != nil {
		t.Fatal(err)
	}
	inj := openLink(t, p.client, LinkOptions{IgnoreOutgoing: true})
	key := testKey(t, e2ePass)
	vips := []netip.Addr{netip.MustParseAddr(e2eVIP)}
	src := netip.MustParseAddr("172.27.27.9")
	for i := range 4 {
		counter := uint64(1000 + i)
		adv := carp.Advert{VHID: 1, AdvBase: 1, AdvSkew: 0, Counter: counter, HMAC: key.Sum(1, vips, counter)}
		payload, err := adv.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		frame := carp.AppendFrame(nil, carp.Frame{
			SrcMAC: carp.VirtualMAC(1), VLAN: 7, Src: src, Dst: carp.GroupV4,
			TOS: carp.TOSFreeBSD, Payload: payload,
		})
		if err := inj.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(time.Second)
	st, err := p.nodeStatus(t, p.r1, "--control-socket", s1)
	if err != nil {
		t.Fatal(err)
	}
	if g := st.Groups[0]; g.State != carp.Master || g.Transitions != before.Groups[0].Transitions {
		t.Errorf("r1 is %s after %d transitions (last %+v); want MASTER still", g.State, g.Transitions, g.LastTransition)
	}
	if len(st.Interfaces) != 1 || st.Interfaces[0].OtherVLAN < 4 {
		t.Errorf("interfaces %+v; want 4 frames counted as other_vlan", st.Interfaces)
	}
}

// TestWireTwoNamespacesDefaultSocket: two nodes in two namespaces with the
// default control socket (same run directory, as /run is shared) both run,
// and node status in each namespace finds its own.
func TestWireTwoNamespacesDefaultSocket(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	for _, r := range []struct {
		port    *netns.Port
		advskew int
		self    string
		want    carp.State
	}{{p.r1, 0, "172.27.27.11", carp.Master}, {p.r2, 100, "172.27.27.12", carp.Backup}} {
		// One after the other: without preemption the first master
		// stays, and r2 started alone would be it.
		p.nodeOn(t, r.port, r.advskew, "")
		eventually(t, r.self+" answers on its default socket", 15*time.Second, func() (bool, string) {
			st, err := p.nodeStatus(t, r.port, p.dirFlags()[:2]...)
			if err != nil {
				return false, err.Error()
			}
			g := st.Groups[0]
			return g.Source.String() == r.self && g.State == r.want, fmt.Sprintf("%s %s", g.Source, g.State)
		})
	}
}

// TestWireDefaultSocketCollision: two nodes of one namespace on the default
// socket (different interfaces): the second is refused and told which flag
// to pass.
func TestWireDefaultSocketCollision(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	p.nodeOn(t, p.r1, 0, "")
	eventually(t, "r1 answers on its default socket", 15*time.Second, func() (bool, string) {
		_, err := p.nodeStatus(t, p.r1, p.dirFlags()[:2]...)
		return err == nil, fmt.Sprint(err)
	})
	if _, err := p.r1.NS.Run(context.Background(), "ip", "link", "add", "v9a", "type", "veth", "peer", "name", "v9b"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"addr", "add", "10.9.9.1/24", "dev", "v9a"}, {"link", "set", "v9a", "up"}, {"link", "set", "v9b", "up"}} {
		if out, err := p.r1.NS.Run(context.Background(), "ip", args...); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	second := startLogged(t, p.r1, "carpvm node", p.bin, append([]string{"node", "run", "--interface", "v9a", "--vhid", "1",
		"--vip", "10.9.9.14/24", "--pass-file", filepath.Join(p.dir, "pass")}, p.dirFlags()...)...)
	wantRefused(t, "a second node with the default socket", second, "--control-socket")
}

// dirFlags are the flags that keep a test node's runtime and state files
// in the test's directory.
func (p *pairLab) dirFlags() []string {
	return []string{"--run-dir", filepath.Join(p.dir, "run"), "--state-dir", filepath.Join(p.dir, "state")}
}

// TestWireSecondNodeOtherPathsRefused: the group lock is no file, so a
// second node of the master's interface and vhid is refused whatever
// paths it is given (its own control socket, run and state directories)
// and in its own mount namespace's view of the master's paths (a tmpfs
// over them, as a container would see /run): refused before it touches
// anything, so the master keeps its macvlan, rule and VIP and answers.
func TestWireSecondNodeOtherPathsRefused(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	s1 := filepath.Join(p.dir, "r1.sock")
	n1 := p.nodeOn(t, p.r1, 0, s1)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.masterIntact(t, "before", s1)
	pid := fmt.Sprintf("pid %d", n1.Pid())
	group := []string{"node", "run", "--interface", p.r1.IfName, "--vhid", "1", "--vip", e2eCIDR,
		"--advbase", "1", "--advskew", "50"}

	other := t.TempDir()
	pass := filepath.Join(other, "pass")
	if err := os.WriteFile(pass, []byte(e2ePass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	second := startLogged(t, p.r1, "carpvm node (other paths)", p.bin, append(group, "--pass-file", pass,
		"--control-socket", filepath.Join(other, "other.sock"),
		"--run-dir", filepath.Join(other, "run"), "--state-dir", filepath.Join(other, "state"))...)
	wantRefused(t, "a second node with other paths", second, "vhid 1 on eth0", pid)
	p.masterIntact(t, "after a second node with other paths", s1)
	p.wantVIPRule(t, "r1 after a second node with other paths", p.r1, true)

	// The master's own paths, but a tmpfs over them in the second node's
	// mount namespace: none of the master's files is visible to it.
	args := append(append(group, "--pass-file", pass, "--control-socket", s1), p.dirFlags()...)
	third := startLogged(t, p.r1, "carpvm node (own mount namespace)", "unshare", append([]string{"--mount", "--propagation", "private",
		"sh", "-c", `dir=$1; shift; mount -t tmpfs tmpfs "$dir" && exec "$@"`, "sh", p.dir, p.bin}, args...)...)
	wantRefused(t, "a second node in its own mount namespace", third, "vhid 1 on eth0", pid)
	p.masterIntact(t, "after a second node in its own mount namespace", s1)
	p.wantVIPRule(t, "r1 after a second node in its own mount namespace", p.r1, true)
}
