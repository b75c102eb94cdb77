package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
	"github.com/carpvm/carpvm/internal/testbin"
)

// The IPv6 wire test: two carpvm nodes and a client on one bridge, with
// IPv6 addresses 2001:db8:27::11, ::12 and ::9. Group 1 has an IPv6 VIP
// only, group 2 an IPv4 and an IPv6 VIP.
var (
	v6VIP1  = netip.MustParseAddr("2001:db8:27::14")
	v6VIP2  = netip.MustParseAddr("2001:db8:27::24")
	v6VIP2b = netip.MustParseAddr("172.27.27.24")
)

type v6Lab struct {
	*lab
	r1, r2, client *netns.Port
	dir, bin, pass string
}

func newV6Lab(t *testing.T) *v6Lab {
	t.Helper()
	l := newLab(t)
	p := &v6Lab{lab: l, dir: t.TempDir(), bin: testbin.Carpvm(t)}
	p.r1 = l.host(t, "v6r1", "172.27.27.11/28")
	p.r2 = l.host(t, "v6r2", "172.27.27.12/28")
	p.client = l.host(t, "v6cl", "172.27.27.9/28")
	for port, a := range map[*netns.Port]string{p.r1: "2001:db8:27::11/64", p.r2: "2001:db8:27::12/64", p.client: "2001:db8:27::9/64"} {
		addr6(t, port, a)
	}
	p.pass = filepath.Join(p.dir, "pass")
	if err := os.WriteFile(p.pass, []byte(e2ePass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// node starts carpvm node run --config on r with both groups at advskew.
func (p *v6Lab) node(t *testing.T, r *netns.Port, advskew int) (*netns.Process, string) {
	t.Helper()
	sock := filepath.Join(p.dir, r.NS.Short+".sock")
	cfg := fmt.Sprintf(`interface: %s
control_socket: %s
groups:
  - vhid: 1
    vips: [2001:db8:27::14/64]
    advskew: %d
    pass_file: %s
  - vhid: 2
    vips: [172.27.27.24/28, 2001:db8:27::24/64]
    advskew: %d
    pass_file: %s
`, r.IfName, sock, advskew, p.pass, advskew, p.pass)
	path := filepath.Join(p.dir, r.NS.Short+".yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return startLogged(t, r, "carpvm node", p.bin, "node", "run", "--config", path,
		"--run-dir", filepath.Join(p.dir, "run"), "--state-dir", filepath.Join(p.dir, "state")), sock
}

// states returns the state of vhids 1 and 2 on a node.
func (p *v6Lab) states(sock string) (map[uint8]GroupStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p.bin, "node", "status", "-o", "json", "--control-socket", sock).Output()
	if err != nil {
		return nil, fmt.Errorf("carpvm node status: %w", err)
	}
	var st Status
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("decode %q: %w", out, err)
	}
	m := map[uint8]GroupStatus{}
	for _, g := range st.Groups {
		m[g.VHID] = g
	}
	return m, nil
}

func (p *v6Lab) waitStates(t *testing.T, who, sock string, want carp.State, within time.Duration) map[uint8]GroupStatus {
	t.Helper()
	var last map[uint8]GroupStatus
	var err error
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		last, err = p.states(sock)
		if err == nil && last[1].State == want && last[2].State == want {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: vhids 1 and 2 never both %s within %s (last %v, %v)", who, want, within, last, err)
	return nil
}

// v6State is what a router holds: IPv6 and IPv4 VIPs (anywhere) and
// carpvm's IPv6 source rules.
func v6State(t *testing.T, r *netns.Port) (addrs, rules string) {
	t.Helper()
	a, err := r.NS.Run(context.Background(), "ip", "-o", "addr", "show")
	if err != nil {
		t.Fatal(err)
	}
	ru, err := r.NS.Run(context.Background(), "ip", "-6", "rule", "show")
	if err != nil {
		t.Fatal(err)
	}
	return a, ru
}

func wantHolds(t *testing.T, who string, r *netns.Port, holds bool) {
	t.Helper()
	addrs, rules := v6State(t, r)
	for _, vip := range []netip.Addr{v6VIP1, v6VIP2, v6VIP2b} {
		if got := strings.Contains(addrs, " "+vip.String()+"/"); got != holds {
			t.Errorf("%s: holds %s = %v, want %v\n%s", who, vip, got, holds, addrs)
		}
	}
	for _, vip := range []netip.Addr{v6VIP1, v6VIP2} {
		if got := strings.Contains(rules, "from "+vip.String()+" lookup"); got != holds {
			t.Errorf("%s: IPv6 source rule for %s = %v, want %v\n%s", who, vip, got, holds, rules)
		}
	}
}

// capture6 is an AF_PACKET capture of IPv6 frames on a port.
type capture6 struct{ conn *packet.Conn }

func newCapture6(t *testing.T, p *netns.Port) *capture6 {
	t.Helper()
	var conn *packet.Conn
	if err := p.NS.Do(func() error {
		ifi, err := net.InterfaceByName(p.IfName)
		if err != nil {
			return err
		}
		conn, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_IPV6, nil)
		return err
	}); err != nil {
		t.Fatalf("capture in %s: %v", p.NS.Short, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &capture6{conn: conn}
}

// icmp6Frame is an ICMPv6 message seen on the wire.
type icmp6Frame struct {
	srcMAC   string
	src      netip.Addr
	typ      uint8
	naFlags  uint8
	naTarget netip.Addr
	naLL     string
	hopLimit uint8
}

// drain reads until the socket has been quiet for quiet, and returns the
// ICMPv6 messages (no extension headers) it saw.
func (c *capture6) drain(t *testing.T, quiet time.Duration) []icmp6Frame {
	t.Helper()
	var out []icmp6Frame
	buf := make([]byte, 2048)
	for {
		if err := c.conn.SetReadDeadline(time.Now().Add(quiet)); err != nil {
			t.Fatal(err)
		}
		n, _, err := c.conn.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b := buf[:n]
		if n < 14+40+8 || binary.BigEndian.Uint16(b[12:14]) != unix.ETH_P_IPV6 || b[14+6] != unix.IPPROTO_ICMPV6 {
			continue
		}
		f := icmp6Frame{srcMAC: net.HardwareAddr(b[6:12]).String(), src: netip.AddrFrom16([16]byte(b[22:38])),
			typ: b[54], hopLimit: b[21]}
		if f.typ == icmpv6NA && n >= naLen {
			f.naFlags = b[58]
			f.naTarget = netip.AddrFrom16([16]byte(b[62:78]))
			if b[78] == optTargetLLAddr {
				f.naLL = net.HardwareAddr(b[80:86]).String()
			}
		}
		out = append(out, f)
	}
}

func (p *v6Lab) neigh(t *testing.T, vip netip.Addr) string {
	t.Helper()
	out, _ := p.client.NS.Run(context.Background(), "ip", "-6", "neigh", "show", vip.String())
	return out
}

// The IPv6 failover, end to end: the master holds the IPv6 VIPs on its
// virtual-MAC macvlans, the client resolves and reaches them at the
// virtual MAC and every echo reply comes from it; killing the master
// moves the VIPs to the backup, the client gets the new master's
// unsolicited NAs (Override, target the VIP, link-layer address the
// virtual MAC) and keeps reaching the VIPs, and the switch relearns the
// virtual MACs on the new master's port; the old master, restarted as
// BACKUP, holds no IPv6 VIP and no IPv6 source rule.
func TestWireIPv6Failover(t *testing.T) {
	t.Parallel()
	p := newV6Lab(t)
	n1, s1 := p.node(t, p.r1, 0)
	_, s2 := p.node(t, p.r2, 100)
	p.waitStates(t, "r1", s1, carp.Master, 15*time.Second)
	if ms := p.waitStates(t, "r2", s2, carp.Backup, 5*time.Second)[1].MasterSeen; !ms.IsLinkLocalUnicast() {
		t.Errorf("r2 sees the IPv6-only group's master as %v; want r1's link-local address", ms)
	}
	wantHolds(t, "master r1", p.r1, true)
	wantHolds(t, "backup r2", p.r2, false)
	p.watch(t)

	capt := newCapture6(t, p.client)
	ping := newPinger6(t, p.client.NS)
	for _, vip := range []netip.Addr{v6VIP1, v6VIP2} {
		ping.pingUntil(t, vip, 10*time.Second)
		ping.pingUntil(t, vip, 2*time.Second)
		vmac := carp.VirtualMAC(map[netip.Addr]uint8{v6VIP1: 1, v6VIP2: 2}[vip]).String()
		if n := p.neigh(t, vip); !strings.Contains(n, "lladdr "+vmac) {
			t.Errorf("client's neighbour entry for %s: %q; want the virtual MAC %s", vip, n, vmac)
		}
		var replies int
		for _, f := range capt.drain(t, 300*time.Millisecond) {
			if f.typ == 129 && f.src == vip {
				replies++
				if f.srcMAC != vmac {
					t.Errorf("echo reply from %s has Ethernet source %s; want the virtual MAC %s", vip, f.srcMAC, vmac)
				}
			}
		}
		if replies == 0 {
			t.Errorf("captured no echo reply from %s", vip)
		}
	}
	for vhid, port := range map[uint8]string{1: p.r1.BridgePort, 2: p.r1.BridgePort} {
		eventually(t, fmt.Sprintf("switch learns vhid %d's virtual MAC on r1's port", vhid), 5*time.Second, func() (bool, string) {
			fdb, err := p.br.FDB(context.Background())
			return err == nil && fdb[carp.VirtualMAC(vhid).String()] == port, fmt.Sprint(fdb, err)
		})
	}

	if err := n1.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = n1.Wait(5 * time.Second)
	p.waitStates(t, "r2 after r1 was killed", s2, carp.Master, 10*time.Second)
	// The NAs: one at takeover, one two intervals later.
	time.Sleep(3 * time.Second)
	nas := map[netip.Addr]int{}
	for _, f := range capt.drain(t, 300*time.Millisecond) {
		if f.typ != icmpv6NA || (f.naTarget != v6VIP1 && f.naTarget != v6VIP2) {
			continue
		}
		vmac := carp.VirtualMAC(map[netip.Addr]uint8{v6VIP1: 1, v6VIP2: 2}[f.naTarget]).String()
		if f.naFlags&naFlagOverride == 0 || f.naLL != vmac || f.srcMAC != vmac || f.hopLimit != 255 || f.src != f.naTarget {
			// Solicited NAs (answers to the client's own solicitations) may
			// come too; only unsolicited ones must look like this.
			if f.naFlags&0x40 == 0 {
				t.Errorf("unsolicited NA %+v; want Override, link-layer and source MAC %s, hop limit 255, from the VIP", f, vmac)
			}
			continue
		}
		if f.naFlags&0x40 == 0 {
			nas[f.naTarget]++
		}
	}
	t.Logf("unsolicited NAs after takeover: %v", nas)
	if nas[v6VIP1] < 2 || nas[v6VIP2] < 2 {
		t.Errorf("client got unsolicited NAs %v after the takeover; want 2 per IPv6 VIP", nas)
	}
	for vhid := range uint8(2) {
		vhid++
		eventually(t, fmt.Sprintf("switch relearns vhid %d's virtual MAC on r2's port", vhid), 5*time.Second, func() (bool, string) {
			fdb, err := p.br.FDB(context.Background())
			return err == nil && fdb[carp.VirtualMAC(vhid).String()] == p.r2.BridgePort, fmt.Sprint(fdb, err)
		})
	}
	for _, vip := range []netip.Addr{v6VIP1, v6VIP2} {
		ping.pingUntil(t, vip, 10*time.Second)
	}
	for _, f := range capt.drain(t, 300*time.Millisecond) {
		if f.typ == 129 && (f.src == v6VIP1 || f.src == v6VIP2) {
			if vmac := carp.VirtualMAC(map[netip.Addr]uint8{v6VIP1: 1, v6VIP2: 2}[f.src]).String(); f.srcMAC != vmac {
				t.Errorf("after failover: echo reply from %s with Ethernet source %s; want %s", f.src, f.srcMAC, vmac)
			}
		}
	}
	wantHolds(t, "master r2", p.r2, true)

	// Crash-restart: r1 comes back as a backup and removes what the kill
	// left (the macvlans with the VIPs, the IPv6 source rules).
	_, s1 = p.node(t, p.r1, 200)
	p.waitStates(t, "restarted r1", s1, carp.Backup, 10*time.Second)
	wantHolds(t, "restarted r1 (BACKUP)", p.r1, false)
	for _, vip := range []netip.Addr{v6VIP1, v6VIP2} {
		ping.pingUntil(t, vip, 10*time.Second)
	}
}

// watch runs carpvm watch on the client: one group per vhid and family,
// each mastered by r1 (its link-local address over IPv6), HMACs verified.
func (p *v6Lab) watch(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := p.client.NS.Command(ctx, p.bin, "watch", "--interface", p.client.IfName, "--duration", "3s", "-o", "json",
		"--pass-file", p.pass, "--vip", "1="+v6VIP1.String(), "--vip", "2="+v6VIP2b.String(), "--vip", "2="+v6VIP2.String()).Output()
	if err != nil {
		t.Fatalf("carpvm watch: %v\n%s", err, out)
	}
	var snap struct {
		Groups []struct {
			ID          int          `json:"id"`
			Family      string       `json:"family"`
			Masters     []netip.Addr `json:"masters"`
			Advertisers []struct {
				Auth string `json:"auth"`
				MAC  string `json:"mac"`
			} `json:"advertisers"`
		} `json:"groups"`
		Warnings []struct{ Code string } `json:"warnings"`
	}
	if err := json.Unmarshal(out, &snap); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	var got []string
	for _, g := range snap.Groups {
		row := fmt.Sprintf("%d %s", g.ID, g.Family)
		if len(g.Masters) == 1 {
			if g.Family == "ipv6" && g.Masters[0].IsLinkLocalUnicast() || g.Masters[0] == netip.MustParseAddr("172.27.27.11") {
				row += " r1"
			}
		}
		for _, a := range g.Advertisers {
			row += " " + a.Auth + " " + a.MAC
		}
		got = append(got, row)
	}
	want := []string{"1 ipv6 r1 ok 00:00:5e:00:01:01", "2 ipv4 r1 ok 00:00:5e:00:01:02", "2 ipv6 r1 ok 00:00:5e:00:01:02"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") || len(snap.Warnings) != 0 {
		t.Errorf("carpvm watch: groups %q, warnings %v; want %q and none", got, snap.Warnings, want)
	}
}
