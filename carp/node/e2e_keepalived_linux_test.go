package node

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// vrrpFamily is one address family of the keepalived interop test: its
// lab, its carpvm and keepalived routers, its client's ping, and how
// carpvm names keepalived's adverts' source.
type vrrpFamily struct {
	name       string
	lab        func(t testing.TB) *pairLab
	node       func(p *pairLab, t testing.TB, r *netns.Port, prio int) (*netns.Process, string)
	keepalived func(p *pairLab, t testing.TB, r *netns.Port, prio int) (proc *netns.Process, state, vrrpPidFile string)
	reaches    func(p *pairLab, t testing.TB, within time.Duration)
	// masterSeen says whether carpvm's master-seen address is
	// keepalived's advert source on r1.
	masterSeen func(netip.Addr) bool
	// vipMAC checks, when set, the client's neighbour entry for the VIP.
	vipMAC func(p *pairLab, t testing.TB)
}

var vrrpFamilies = []vrrpFamily{
	{
		name: "ipv4",
		lab:  newPairLab,
		node: func(p *pairLab, t testing.TB, r *netns.Port, prio int) (*netns.Process, string) {
			return p.vrrpNode(t, r, prio)
		},
		keepalived: func(p *pairLab, t testing.TB, r *netns.Port, prio int) (*netns.Process, string, string) {
			proc, state := p.keepalived(t, r, prio)
			return proc, state, filepath.Join(p.dir, r.NS.Short+"-ka-vrrp.pid")
		},
		reaches:    (*pairLab).clientReaches,
		masterSeen: func(a netip.Addr) bool { return a.String() == "172.27.27.11" },
	},
	{
		name: "ipv6",
		lab:  newVRRP6Lab,
		node: (*pairLab).vrrp6Node,
		keepalived: func(p *pairLab, t testing.TB, r *netns.Port, prio int) (*netns.Process, string, string) {
			proc, state := p.keepalived6(t, r, prio)
			return proc, state, filepath.Join(p.dir, r.NS.Short+"-ka6-vrrp.pid")
		},
		reaches: (*pairLab).clientReaches6,
		// IPv6 adverts come from the router's link-local address.
		masterSeen: netip.Addr.IsLinkLocalUnicast,
		vipMAC: func(p *pairLab, t testing.TB) {
			if out, err := p.client.NS.Run(context.Background(), "ip", "-6", "neigh", "show", v6vrrpVIP); err != nil || !strings.Contains(out, "00:00:5e:00:02:01") {
				t.Errorf("client's neighbour entry for %s: %q (%v); want lladdr 00:00:5e:00:02:01", v6vrrpVIP, out, err)
			}
		},
	},
}

// keepalivedMaster starts keepalived on r1 (priority 200) and, once it is
// master, carpvm on r2 (100), and waits for carpvm to be its backup; it
// returns keepalived, its VRRP child's pid file and carpvm's control
// socket.
func (fam vrrpFamily) keepalivedMaster(t *testing.T) (p *pairLab, ka *netns.Process, vrrpPidFile, sock string) {
	t.Helper()
	p = fam.lab(t)
	ka, state, vrrpPidFile := fam.keepalived(p, t, p.r1, 200)
	waitRole(t, "keepalived", state, "MASTER", 15*time.Second)
	_, sock = fam.node(p, t, p.r2, 100)
	p.waitState(t, "carpvm r2", sock, carp.Backup, 5*time.Second)
	return p, ka, vrrpPidFile, sock
}

// TestWireKeepalivedInterop: carpvm (VRRPv3) and keepalived (version 3),
// with an IPv4 and with an IPv6 VIP, in both roles. The higher priority
// wins; a graceful stop hands over at once (priority 0, then Skew_Time);
// a SIGKILLed master is replaced within Master_Down_Interval.
func TestWireKeepalivedInterop(t *testing.T) {
	t.Parallel()
	for _, fam := range vrrpFamilies {
		t.Run(fam.name+"/carpvm master, keepalived backup", func(t *testing.T) {
			t.Parallel()
			p := fam.lab(t)
			n1, s1 := fam.node(p, t, p.r1, 200)
			p.waitState(t, "carpvm r1", s1, carp.Master, 15*time.Second)
			_, state, _ := fam.keepalived(p, t, p.r2, 100)
			waitRole(t, "keepalived", state, "BACKUP", 10*time.Second)
			time.Sleep(5 * time.Second) // more than keepalived's master-down (3.6 s)
			if got := peerRole(state); got != "BACKUP" {
				t.Fatalf("keepalived became %s while carpvm was master: it did not accept carpvm's VRRPv3 adverts", got)
			}
			if st := p.waitState(t, "carpvm r1", s1, carp.Master, time.Second); st.Rejected.Total() != 0 {
				t.Errorf("carpvm rejected %v", rejectsString(st.Rejected))
			}
			fam.reaches(p, t, 5*time.Second)
			if fam.vipMAC != nil {
				fam.vipMAC(p, t)
			}
			stopped := time.Now()
			if err := n1.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// Priority 0: keepalived takes over after its Skew_Time (0.6 s),
			// well before a master-down (3.6 s).
			waitRole(t, "keepalived", state, "MASTER", 2*time.Second)
			t.Logf("keepalived took over %v after carpvm's graceful stop", time.Since(stopped).Round(10*time.Millisecond))
			fam.reaches(p, t, 10*time.Second)
		})
		t.Run(fam.name+"/keepalived master, carpvm backup", func(t *testing.T) {
			t.Parallel()
			p, ka, vrrpPid, s2 := fam.keepalivedMaster(t)
			time.Sleep(5 * time.Second)
			st := p.waitState(t, "carpvm r2", s2, carp.Backup, time.Second)
			if st.Received < 3 || !fam.masterSeen(st.MasterSeen) {
				t.Errorf("carpvm accepted %d adverts, master seen %v; want >= 3 from keepalived on r1", st.Received, st.MasterSeen)
			}
			if r := st.Rejected.Total(); r != 0 {
				t.Errorf("carpvm rejected %d of keepalived's adverts (%v)", r, rejectsString(st.Rejected))
			}
			if !strings.Contains(st.Protocol, "no authentication") {
				t.Errorf("status protocol %q does not say VRRPv3 has no authentication", st.Protocol)
			}
			fam.reaches(p, t, 5*time.Second)
			killed := time.Now()
			killKeepalived(t, ka, vrrpPid)
			p.waitState(t, "carpvm r2 after keepalived died", s2, carp.Master, 6*time.Second)
			d, md := time.Since(killed), carp.VRRPMasterDown(100, 100)
			t.Logf("carpvm took over %v after keepalived's SIGKILL (master-down %v)", d.Round(10*time.Millisecond), md)
			// A crash, not a stop: carpvm waits out its master-down, less at
			// most an interval (1 s) since keepalived's last advert.
			if d < md-time.Second-100*time.Millisecond {
				t.Errorf("carpvm took over %v after the kill, sooner than master-down %v allows: keepalived stopped gracefully rather than crashed", d, md)
			}
			if d > md+time.Second {
				t.Errorf("carpvm took over %v after the kill; want within master-down %v (plus polling)", d, md)
			}
			fam.reaches(p, t, 10*time.Second)
		})
		t.Run(fam.name+"/keepalived master stops gracefully, carpvm takes over", func(t *testing.T) {
			t.Parallel()
			// The graceful stop of a keepalived master: its priority-0
			// advert hands over to carpvm at once.
			p, ka, _, s2 := fam.keepalivedMaster(t)
			time.Sleep(2 * time.Second)
			if err := ka.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// Skew_Time at priority 100 is 0.61 s; a missed priority 0 would
			// take the full master-down (3.6 s).
			p.waitState(t, "carpvm r2 after keepalived's graceful stop", s2, carp.Master, 2*time.Second)
			fam.reaches(p, t, 10*time.Second)
		})
	}
}
