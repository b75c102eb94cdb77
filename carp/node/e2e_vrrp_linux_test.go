package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/keepalived"
	"github.com/carpvm/carpvm/internal/netns"
)

// The VRRPv3 and unicast wire tests: carpvm against keepalived and FRR,
// which nobody here wrote, and two carpvm nodes on a switch that drops
// multicast.

// vrrpNode starts carpvm node run as a VRRPv3 router of priority prio
// (interval 1 s, preempting) for the IPv4 VIP on r.
func (p *pairLab) vrrpNode(t testing.TB, r *netns.Port, prio int, extra ...string) (*netns.Process, string) {
	return p.vrrpNodeFor(t, r, e2eCIDR, prio, extra...)
}

// vrrpNodeFor is vrrpNode for the VIP cidr.
func (p *pairLab) vrrpNodeFor(t testing.TB, r *netns.Port, cidr string, prio int, extra ...string) (*netns.Process, string) {
	t.Helper()
	sock := filepath.Join(p.dir, r.NS.Short+".sock")
	args := append([]string{"node", "run", "--interface", r.IfName, "--vhid", "1", "--vip", cidr,
		"--carpver", "3", "--vrrpprio", fmt.Sprint(prio), "--vrrpinterval", "100", "--preempt",
		"--control-socket", sock}, append(p.dirFlags(), extra...)...)
	return startLogged(t, r, "carpvm node", p.bin, args...), sock
}

// keepalived starts Debian's keepalived on r as a VRRPv3 router of
// priority prio for vrid 1 and the IPv4 VIP; its notify script records its
// state in the file returned.
func (p *pairLab) keepalived(t testing.TB, r *netns.Port, prio int) (*netns.Process, string) {
	return p.keepalivedFor(t, r, r.NS.Short+"-ka", e2eCIDR, prio)
}

// keepalivedFor is keepalived for the VIP cidr; its files in p.dir start
// with name (name-vrrp.pid is its VRRP child's pid, for killKeepalived).
func (p *pairLab) keepalivedFor(t testing.TB, r *netns.Port, name, cidr string, prio int) (*netns.Process, string) {
	t.Helper()
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/keepalived"); err != nil {
			t.Skip("skipping: keepalived not installed (make test-deps installs it)")
		}
	}
	state := filepath.Join(p.dir, name+".state")
	notify := filepath.Join(p.dir, name+"-notify.sh")
	if err := os.WriteFile(notify, []byte(fmt.Sprintf("#!/bin/sh\necho \"$3\" > %s\n", state)), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(p.dir, name+".conf")
	body := keepalived.Conf{RouterID: name, ScriptUser: "root", Instances: []keepalived.Instance{{
		Name: "VI_1", Interface: r.IfName, VRID: 1, Priority: prio, AdvertInt: "1", VIPs: []string{cidr}, Notify: notify,
	}}}.String()
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	proc := startLogged(t, r, "keepalived", bin, "-n", "-l", "-D", "-P", "-f", conf,
		"-p", filepath.Join(p.dir, name+".pid"), "-r", filepath.Join(p.dir, name+"-vrrp.pid"))
	return proc, state
}

// TestWireVRRPChecksumVariant: a node set for the as-v2 checksum refuses
// keepalived's RFC checksums as bad_checksum, by reason, and so becomes
// master too: the setting must match the peer's.
func TestWireVRRPChecksumVariant(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	_, state := p.keepalived(t, p.r1, 200)
	waitRole(t, "keepalived", state, "MASTER", 15*time.Second)
	_, s2 := p.vrrpNode(t, p.r2, 100, "--vrrp-checksum-as-v2")
	st := p.waitState(t, "carpvm r2", s2, carp.Master, 10*time.Second)
	if st.Rejected.Of(carp.RejectChecksum) < 2 || st.Received != 0 {
		t.Errorf("carpvm: bad_checksum %d, accepted %d; want keepalived's RFC checksums refused", st.Rejected.Of(carp.RejectChecksum), st.Received)
	}
}

// dropMulticast makes the lab's switch drop multicast, as an IGMP-snooping
// switch (or an NSX segment) drops 224.0.0.18 without joins: no bridge
// port floods it.
func (p *pairLab) dropMulticast(t testing.TB) {
	t.Helper()
	for _, port := range []*netns.Port{p.r1, p.r2, p.client} {
		if out, err := port.Bridge.NS.Run(context.Background(), "bridge", "link", "set", "dev", port.BridgePort, "mcast_flood", "off"); err != nil {
			t.Fatalf("mcast_flood off: %v\n%s", err, out)
		}
	}
}

// TestWireUnicastWithMulticastDropped: on a switch that drops multicast,
// two multicast CARP nodes both become master; two unicast ones (peer)
// keep one master and fail over when it is killed. Unicast adverts leave
// from the NIC's own MAC, with TTL 255.
func TestWireUnicastWithMulticastDropped(t *testing.T) {
	t.Parallel()
	t.Run("multicast: split brain", func(t *testing.T) {
		p := newPairLab(t)
		p.dropMulticast(t)
		_, s1 := p.node(t, p.r1, 0)
		_, s2 := p.node(t, p.r2, 100)
		p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
		p.waitState(t, "r2", s2, carp.Master, 15*time.Second)
	})
	for _, proto := range []struct {
		name  string
		start func(p *pairLab, r *netns.Port, rank int, peer string) (*netns.Process, string)
	}{
		{"unicast CARP", func(p *pairLab, r *netns.Port, rank int, peer string) (*netns.Process, string) {
			return p.node(t, r, rank*100, "--peer", peer, "--preempt")
		}},
		{"unicast VRRPv3", func(p *pairLab, r *netns.Port, rank int, peer string) (*netns.Process, string) {
			return p.vrrpNode(t, r, 200-rank*100, "--peer", peer)
		}},
	} {
		t.Run(proto.name, func(t *testing.T) {
			p := newPairLab(t)
			p.dropMulticast(t)
			n1, s1 := proto.start(p, p.r1, 0, "172.27.27.12")
			_, s2 := proto.start(p, p.r2, 1, "172.27.27.11")
			p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
			time.Sleep(5 * time.Second)
			st := p.waitState(t, "r2", s2, carp.Backup, time.Second)
			if st.Received < 3 || st.Rejected.Total() != 0 {
				t.Errorf("r2 accepted %d unicast adverts, rejected %v", st.Received, rejectsString(st.Rejected))
			}
			p.clientReaches(t, 5*time.Second)
			if err := n1.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			p.waitState(t, "r2 after r1 died", s2, carp.Master, 10*time.Second)
			p.clientReaches(t, 10*time.Second)
		})
	}
}

// TestWireUnicastNotFromPeer: a unicast node accepts adverts from its
// peer only; another router's (a third node pointed at it) are counted as
// not_peer and change nothing.
func TestWireUnicastNotFromPeer(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	p.dropMulticast(t)
	_, s1 := p.node(t, p.r1, 100, "--peer", "172.27.27.12", "--preempt")
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	// The client pretends to be a router: a node on it sends unicast
	// adverts to r1 with a better advskew.
	p.node(t, p.client, 0, "--peer", "172.27.27.11", "--preempt")
	eventually(t, "r1 counts the stranger's adverts as not_peer", 10*time.Second, func() (bool, string) {
		st, err := p.status(t, s1)
		if err != nil {
			return false, err.Error()
		}
		return st.Rejected.Of(carp.RejectPeer) >= 3 && st.State == carp.Master, fmt.Sprintf("%s %v", st.State, rejectsString(st.Rejected))
	})
}

// frrVRRP starts FRR's zebra and vrrpd on r as a VRRPv3 router of
// priority prio for vrid 1. vrrpd needs the macvlan with the virtual MAC
// made for it; it runs as Debian's frr user, which must reach its files.
func (p *pairLab) frrVRRP(t testing.TB, r *netns.Port, prio int) *netns.Process {
	t.Helper()
	const zebra, vrrpd = "/usr/lib/frr/zebra", "/usr/lib/frr/vrrpd"
	for _, bin := range []string{zebra, vrrpd} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("skipping: %s not installed (make test-deps installs frr)", bin)
		}
	}
	ctx := context.Background()
	run, _ := inNamespace(t, ctx, r)
	run("ip", "link", "add", "vrrp4-1", "link", r.IfName, "type", "macvlan", "mode", "bridge")
	run("ip", "link", "set", "vrrp4-1", "address", carp.VirtualMAC(1).String())
	run("ip", "addr", "add", e2eCIDR, "dev", "vrrp4-1")
	run("ip", "link", "set", "vrrp4-1", "up")
	// Not under t.TempDir, whose parent only root may enter.
	dir, err := os.MkdirTemp("", "carpvm-frr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("interface %s\n vrrp 1 version 3\n vrrp 1 priority %d\n vrrp 1 advertisement-interval 1000\n vrrp 1 ip %s\n", r.IfName, prio, e2eVIP)
	files := map[string]string{"zebra.conf": "", "vrrpd.conf": conf}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	common := func(name string) []string {
		return []string{"-z", filepath.Join(dir, "zserv.api"), "-i", filepath.Join(dir, name+".pid"),
			"--vty_socket", dir, "-f", filepath.Join(dir, name+".conf"), "--log", "stdout"}
	}
	startLogged(t, r, "zebra", zebra, common("zebra")...)
	eventually(t, "zebra's socket", 10*time.Second, func() (bool, string) {
		_, err := os.Stat(filepath.Join(dir, "zserv.api"))
		return err == nil, fmt.Sprint(err)
	})
	return startLogged(t, r, "vrrpd", vrrpd, common("vrrpd")...)
}

// TestWireFRRInterop: FRR's vrrpd master (priority 200), carpvm backup
// (100): carpvm follows its VRRPv3 adverts, and takes over within its
// Master_Down_Interval when vrrpd is killed.
func TestWireFRRInterop(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	vrrpd := p.frrVRRP(t, p.r1, 200)
	_, s2 := p.vrrpNode(t, p.r2, 100)
	p.waitState(t, "carpvm r2", s2, carp.Backup, 5*time.Second)
	eventually(t, "carpvm follows FRR's adverts", 15*time.Second, func() (bool, string) {
		st, err := p.status(t, s2)
		if err != nil {
			return false, err.Error()
		}
		return st.State == carp.Backup && st.Received >= 3 && st.MasterSeen.String() == "172.27.27.11",
			fmt.Sprintf("%s, %d accepted, master %v, rejected %v", st.State, st.Received, st.MasterSeen, rejectsString(st.Rejected))
	})
	if st := p.waitState(t, "carpvm r2", s2, carp.Backup, time.Second); st.Rejected.Total() != 0 {
		t.Errorf("carpvm rejected %v of FRR's adverts", rejectsString(st.Rejected))
	}
	if err := vrrpd.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitState(t, "carpvm r2 after vrrpd died", s2, carp.Master, 6*time.Second)
}
