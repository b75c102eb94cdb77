package node

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// The IPv6 VRRPv3 wire test: carpvm and keepalived on one bridge, routers
// 2001:db8:27::11 and ::12, a client ::9, the VIP 2001:db8:27::14. Adverts
// go to ff02::12 from each router's link-local address, the checksum
// covering that pseudo-header.
const (
	v6vrrpVIP  = "2001:db8:27::14"
	v6vrrpCIDR = "2001:db8:27::14/64"
)

func newVRRP6Lab(t *testing.T) *pairLab {
	t.Helper()
	p := newPairLab(t)
	for port, a := range map[*netns.Port]string{p.r1: "2001:db8:27::11/64", p.r2: "2001:db8:27::12/64", p.client: "2001:db8:27::9/64"} {
		addr6(t, port, a)
	}
	return p
}

// vrrp6Node starts a carpvm VRRPv3 router of priority prio for the IPv6
// VIP on r.
func (p *pairLab) vrrp6Node(t testing.TB, r *netns.Port, prio int) (*netns.Process, string) {
	return p.vrrpNodeFor(t, r, v6vrrpCIDR, prio)
}

// keepalived6 starts keepalived for the IPv6 VIP on r (a global address:
// keepalived takes it, with a warning that RFC 5798 wants the first one
// link-local).
func (p *pairLab) keepalived6(t testing.TB, r *netns.Port, prio int) (*netns.Process, string) {
	return p.keepalivedFor(t, r, r.NS.Short+"-ka6", v6vrrpCIDR, prio)
}

// killKeepalived kills keepalived as a crash would: its VRRP child (the
// process that advertises) and its parent, both with SIGKILL. Killing the
// parent alone is not a crash: its child sees the parent die and stops
// gracefully, with a priority-0 advert. The parent is stopped first so
// that it cannot respawn the child.
func killKeepalived(t testing.TB, parent *netns.Process, vrrpPidFile string) {
	t.Helper()
	b, err := os.ReadFile(vrrpPidFile)
	if err != nil {
		t.Fatalf("keepalived's VRRP child: %v", err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("keepalived's VRRP pid file: %v", err)
	}
	if err := parent.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL keepalived's VRRP child %d: %v", child, err)
	}
	if err := parent.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// clientReaches6 pings the IPv6 VIP from the client until it answers.
func (p *pairLab) clientReaches6(t testing.TB, within time.Duration) {
	t.Helper()
	newPinger6(t, p.client.NS).pingUntil(t, netip.MustParseAddr(v6vrrpVIP), within)
}

// TestWireKeepalivedInterop6: carpvm (VRRPv3) and keepalived (version 3)
// with an IPv6 VIP, in both roles: the higher priority wins; a graceful
// stop hands over at once (priority 0); a SIGKILLed master is replaced
// within Master_Down_Interval.
func TestWireKeepalivedInterop6(t *testing.T) {
	t.Run("carpvm master, keepalived backup", func(t *testing.T) {
		p := newVRRP6Lab(t)
		n1, s1 := p.vrrp6Node(t, p.r1, 200)
		p.waitState(t, "carpvm r1", s1, carp.Master, 15*time.Second)
		_, state := p.keepalived6(t, p.r2, 100)
		waitRole(t, "keepalived", state, "BACKUP", 10*time.Second)
		time.Sleep(5 * time.Second) // more than keepalived's master-down (3.6 s)
		if got := peerRole(state); got != "BACKUP" {
			t.Fatalf("keepalived became %s while carpvm was master: it did not accept carpvm's IPv6 VRRPv3 adverts", got)
		}
		if st := p.waitState(t, "carpvm r1", s1, carp.Master, time.Second); st.Rejected.Total() != 0 {
			t.Errorf("carpvm rejected %v", rejectsString(st.Rejected))
		}
		p.clientReaches6(t, 5*time.Second)
		// The client learnt the VIP at VRRP's IPv6 virtual MAC.
		if out, err := p.client.NS.Run(context.Background(), "ip", "-6", "neigh", "show", v6vrrpVIP); err != nil || !strings.Contains(out, "00:00:5e:00:02:01") {
			t.Errorf("client's neighbour entry for %s: %q (%v); want lladdr 00:00:5e:00:02:01", v6vrrpVIP, out, err)
		}
		stopped := time.Now()
		if err := n1.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitRole(t, "keepalived", state, "MASTER", 2*time.Second)
		t.Logf("keepalived took over %v after carpvm's graceful stop", time.Since(stopped).Round(10*time.Millisecond))
		p.clientReaches6(t, 10*time.Second)
	})
	t.Run("keepalived master, carpvm backup", func(t *testing.T) {
		p := newVRRP6Lab(t)
		ka, state := p.keepalived6(t, p.r1, 200)
		waitRole(t, "keepalived", state, "MASTER", 15*time.Second)
		_, s2 := p.vrrp6Node(t, p.r2, 100)
		p.waitState(t, "carpvm r2", s2, carp.Backup, 5*time.Second)
		time.Sleep(5 * time.Second)
		st := p.waitState(t, "carpvm r2", s2, carp.Backup, time.Second)
		if st.Received < 3 || !st.MasterSeen.IsLinkLocalUnicast() {
			t.Errorf("carpvm accepted %d adverts, master seen %v; want >= 3 from keepalived's link-local address", st.Received, st.MasterSeen)
		}
		if r := st.Rejected.Total(); r != 0 {
			t.Errorf("carpvm rejected %d of keepalived's adverts (%v)", r, rejectsString(st.Rejected))
		}
		p.clientReaches6(t, 5*time.Second)
		killed := time.Now()
		killKeepalived(t, ka, filepath.Join(p.dir, p.r1.NS.Short+"-ka6-vrrp.pid"))
		p.waitState(t, "carpvm r2 after keepalived died", s2, carp.Master, 6*time.Second)
		d, md := time.Since(killed), carp.VRRPMasterDown(100, 100)
		t.Logf("carpvm took over %v after keepalived's SIGKILL (master-down %v)", d.Round(10*time.Millisecond), md)
		// The last advert came at most an interval (1 s) before the kill.
		if d < md-time.Second-100*time.Millisecond {
			t.Errorf("carpvm took over %v after the kill, sooner than master-down %v allows: keepalived stopped gracefully rather than crashed", d, md)
		}
		if d > md+time.Second {
			t.Errorf("carpvm took over %v after the kill; want within master-down %v (plus polling)", d, md)
		}
		p.clientReaches6(t, 10*time.Second)
	})
	t.Run("keepalived master stops gracefully, carpvm takes over", func(t *testing.T) {
		// The graceful stop of a keepalived master: its priority-0 advert
		// hands over to carpvm at once.
		p := newVRRP6Lab(t)
		ka, state := p.keepalived6(t, p.r1, 200)
		waitRole(t, "keepalived", state, "MASTER", 15*time.Second)
		_, s2 := p.vrrp6Node(t, p.r2, 100)
		p.waitState(t, "carpvm r2", s2, carp.Backup, 5*time.Second)
		time.Sleep(2 * time.Second)
		if err := ka.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// Skew_Time at priority 100 is 0.61 s; a missed priority 0 would
		// take the full master-down (3.6 s).
		p.waitState(t, "carpvm r2 after keepalived's graceful stop", s2, carp.Master, 2*time.Second)
		p.clientReaches6(t, 10*time.Second)
	})
}
