//go:build linux

package netns

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newWorld(t *testing.T) *World {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	w, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("close world: %v", err)
		}
	})
	return w
}

func TestWorldBridgeAndTeardown(t *testing.T) {
	w := newWorld(t)
	sw, err := w.Namespace(t.Context(), "sw")
	if err != nil {
		t.Fatal(err)
	}
	br, err := w.Bridge(t.Context(), sw, "br0")
	if err != nil {
		t.Fatal(err)
	}
	a, err := w.Namespace(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.Namespace(t.Context(), "b")
	if err != nil {
		t.Fatal(err)
	}
	pa, err := w.Attach(t.Context(), br, a, "eth0", netip.MustParsePrefix("10.9.0.1/24"))
	if err != nil {
		t.Fatal(err)
	}
	pb, err := w.Attach(t.Context(), br, b, "eth0", netip.MustParsePrefix("10.9.0.2/24"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pinger, err := a.Pinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Close()
	if err := pinger.Ping(netip.MustParseAddr("10.9.0.2"), 5*time.Second); err != nil {
		t.Fatalf("ping across the bridge: %v", err)
	}
	if err := pinger.Ping(netip.MustParseAddr("10.9.0.3"), 300*time.Millisecond); err == nil {
		t.Fatal("ping of an absent address succeeded")
	}
	if err := a.Sysctl(ctx, "net.ipv4.conf.eth0.arp_ignore", "1"); err != nil {
		t.Fatal(err)
	}
	if out, err := a.Run(ctx, "cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore"); err != nil || strings.TrimSpace(out) != "1" {
		t.Errorf("arp_ignore after Sysctl = %q, %v; want 1", out, err)
	}
	fdb, err := br.FDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fdb[pa.MAC.String()]; got != pa.BridgePort {
		t.Errorf("fdb[%s] = %q, want %q (fdb %v)", pa.MAC, got, pa.BridgePort, fdb)
	}
	if got := fdb[pb.MAC.String()]; got != pb.BridgePort {
		t.Errorf("fdb[%s] = %q, want %q (fdb %v)", pb.MAC, got, pb.BridgePort, fdb)
	}

	// A process started in a namespace is killed by Close.
	p, err := a.Start("sleep", "600")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !p.Exited() {
		t.Error("process still running after Close")
	}
	for _, ns := range []*Namespace{sw, a, b} {
		if _, err := os.Stat(filepath.Join(runDir, ns.Name)); !os.IsNotExist(err) {
			t.Errorf("namespace %s still exists after Close (stat: %v)", ns.Name, err)
		}
	}
	if _, err := w.Namespace(ctx, "late"); err == nil {
		t.Error("Namespace on a closed world succeeded")
	}
}

func TestDoEntersNamespace(t *testing.T) {
	w := newWorld(t)
	ns, err := w.Namespace(t.Context(), "do")
	if err != nil {
		t.Fatal(err)
	}
	other, err := w.Namespace(t.Context(), "peer")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Veth(t.Context(), ns, "inside0", other, "inside1"); err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := ns.Do(func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"lo", "inside0"}, names); diff != "" {
		t.Errorf("interfaces inside the namespace (-want +got):\n%s", diff)
	}
	// Back outside, the namespace's interface is not visible.
	if _, err := net.InterfaceByName("inside0"); err == nil {
		t.Error("inside0 visible outside its namespace after Do")
	}
}

func TestProcessOutputAndWait(t *testing.T) {
	w := newWorld(t)
	ns, err := w.Namespace(t.Context(), "proc")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ns.Start("sh", "-c", "ip -o link show lo; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(10 * time.Second); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Wait = %v, want exit status 3", err)
	}
	if !strings.Contains(p.Output(), "lo:") {
		t.Errorf("output %q lacks the loopback", p.Output())
	}
}

func TestSweepKeepsLiveWorlds(t *testing.T) {
	w := newWorld(t)
	ns, err := w.Namespace(t.Context(), "live")
	if err != nil {
		t.Fatal(err)
	}
	removed, err := Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range removed {
		if r == ns.Name {
			t.Fatalf("Sweep removed the live namespace %s", ns.Name)
		}
	}
	if _, err := os.Stat(filepath.Join(runDir, ns.Name)); err != nil {
		t.Errorf("live namespace gone after Sweep: %v", err)
	}
}

func TestOwnerPID(t *testing.T) {
	for _, tc := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"cv-1234-a1b2c3-sw", 1234, true},
		{"cv-99-ff0011-r1", 99, true},
		{"cv-x-ff0011-r1", 0, false},
		{"cv-1234", 0, false},
		{"other-1234-a-b", 0, false},
		{"cv--a-b", 0, false},
	} {
		pid, ok := ownerPID(tc.name)
		if pid != tc.pid || ok != tc.ok {
			t.Errorf("ownerPID(%q) = %d, %v; want %d, %v", tc.name, pid, ok, tc.pid, tc.ok)
		}
	}
}

func TestParseFDB(t *testing.T) {
	out := `33:33:00:00:00:01 dev br0 self permanent
00:00:5e:00:01:01 dev p1-r1 master br0
aa:bb:cc:dd:ee:ff dev p2-r2 vlan 1 master br0 permanent
02:11:22:33:44:55 dev p2-r2 master br0
garbage line
`
	want := map[string]string{"00:00:5e:00:01:01": "p1-r1", "02:11:22:33:44:55": "p2-r2"}
	if diff := cmp.Diff(want, ParseFDB(out)); diff != "" {
		t.Errorf("parseFDB (-want +got):\n%s", diff)
	}
}

func TestNameChecks(t *testing.T) {
	for _, n := range []string{"", "sixteen-chars-xx", "a/b", "a b", "a:b"} {
		if checkIfName(n) == nil {
			t.Errorf("checkIfName(%q) accepted", n)
		}
	}
	if err := checkIfName("fifteen-chars-x"); err != nil {
		t.Errorf("checkIfName(15 bytes) = %v", err)
	}
	w := &World{tag: "1-000000"}
	if _, err := w.Namespace(t.Context(), "bad name"); err == nil {
		t.Error("Namespace accepted a name with a space")
	}
}
