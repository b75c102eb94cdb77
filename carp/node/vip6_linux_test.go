package node

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"

	"github.com/carpvm/carpvm/internal/netns"
)

// addr6 adds an IPv6 address to a lab port (without DAD, so that it is
// usable at once) and waits for its link-local address.
func addr6(t testing.TB, p *netns.Port, cidr string) {
	t.Helper()
	ctx := context.Background()
	if out, err := p.NS.Run(ctx, "ip", "-6", "addr", "add", cidr, "dev", p.IfName, "nodad"); err != nil {
		t.Fatalf("ip -6 addr add %s in %s: %v\n%s", cidr, p.NS.Short, err, out)
	}
	eventually(t, "link-local address on "+p.NS.Short, 5*time.Second, func() (bool, string) {
		out, _ := p.NS.Run(ctx, "ip", "-6", "-o", "addr", "show", "dev", p.IfName, "scope", "link")
		return strings.Contains(out, "fe80::") && !strings.Contains(out, "tentative"), out
	})
}

// TestNetlinkVIPsIPv6 holds IPv6 VIPs with netlink: at start the stale VIP
// and source rule a crash left are removed; Claim puts the VIP on the
// macvlan without DAD (usable at once), with no link-local address of the
// macvlan's own, and the IPv6 source rule that sends replies to the
// segment through the macvlan; Release leaves nothing; parent mode puts
// the VIP on the parent, also without DAD.
func TestNetlinkVIPsIPv6(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	r := lb.host(t, "v6r", "10.83.0.1/24")
	addr6(t, r, "2001:db8:83::1/64")
	ctx := context.Background()
	run, do := inNamespace(t, ctx, r)
	var idx int
	do("index", func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err == nil {
			idx = ifi.Index
		}
		return err
	})
	table, _ := RouteTable(idx, 1)
	vip := netip.MustParsePrefix("2001:db8:83::14/64")
	h := &NetlinkVIPs{Parent: "eth0", VHID: 1, VMAC: true, VIPs: []netip.Prefix{netip.MustParsePrefix("10.83.0.14/24"), vip}}

	// What a crash left: the VIP on the parent (a --no-vmac run) and the
	// source rule (a virtual-MAC run), next to a rule that is not ours.
	run("ip", "-6", "addr", "add", vip.String(), "dev", "eth0", "nodad")
	run("ip", "-6", "rule", "add", "pref", "1000", "from", "2001:db8:83::14/128", "lookup", fmt.Sprint(table))
	run("ip", "-6", "rule", "add", "pref", "1001", "from", "2001:db8:83::99/128", "lookup", fmt.Sprint(table))
	do("prepare", h.Prepare)
	if out := run("ip", "-6", "addr", "show", "dev", "eth0"); strings.Contains(out, "2001:db8:83::14") {
		t.Errorf("Prepare left the stale IPv6 VIP on eth0:\n%s", out)
	}
	rules := run("ip", "-6", "rule", "show")
	if strings.Contains(rules, "from 2001:db8:83::14 lookup") {
		t.Errorf("Prepare left the stale IPv6 rule:\n%s", rules)
	}
	if !strings.Contains(rules, "from 2001:db8:83::99 lookup") {
		t.Errorf("Prepare removed a rule that is not carpvm's:\n%s", rules)
	}

	do("claim", h.Claim)
	do("claim again", h.Claim)
	mv := MacvlanName(1, "eth0")
	out := run("ip", "-6", "addr", "show", "dev", mv)
	if !strings.Contains(out, "inet6 2001:db8:83::14/64") || !strings.Contains(out, "nodad") || strings.Contains(out, "tentative") {
		t.Errorf("macvlan's IPv6 addresses:\n%s\nwant the VIP, nodad, not tentative", out)
	}
	if strings.Contains(out, "fe80::") {
		t.Errorf("the macvlan has a link-local address of its own:\n%s", out)
	}
	if got := strings.Count(run("ip", "-6", "rule", "show"), fmt.Sprintf("%d:\tfrom 2001:db8:83::14 lookup %d", RulePriority, table)); got != 1 {
		t.Errorf("IPv6 source rule there %d times, want once:\n%s", got, run("ip", "-6", "rule", "show"))
	}
	if got := run("ip", "-6", "route", "get", "2001:db8:83::9", "from", "2001:db8:83::14"); !strings.Contains(got, " dev "+mv+" ") {
		t.Errorf("route from the IPv6 VIP to the segment: %q; want dev %s", got, mv)
	}
	if got := run("ip", "-6", "route", "get", "2001:db8:83::9", "from", "2001:db8:83::1"); !strings.Contains(got, " dev eth0 ") {
		t.Errorf("route from the router's own address: %q; want dev eth0", got)
	}

	do("release", h.Release)
	do("release again", h.Release)
	if out := run("ip", "-6", "rule", "show"); strings.Contains(out, "2001:db8:83::14") {
		t.Errorf("IPv6 rule left after Release:\n%s", out)
	}
	if out := run("ip", "link", "show"); strings.Contains(out, mv) {
		t.Errorf("macvlan left after Release:\n%s", out)
	}

	pm := &NetlinkVIPs{Parent: "eth0", VHID: 3, VIPs: []netip.Prefix{netip.MustParsePrefix("2001:db8:83::34/64")}}
	do("parent-mode prepare", pm.Prepare)
	do("parent-mode claim", pm.Claim)
	if out := run("ip", "-6", "addr", "show", "dev", "eth0"); !strings.Contains(out, "2001:db8:83::34/64") || strings.Contains(out, "tentative") {
		t.Errorf("parent mode: eth0's IPv6 addresses\n%s\nwant the VIP, not tentative", out)
	}
	do("parent-mode release", pm.Release)
	if out := run("ip", "-6", "addr", "show", "dev", "eth0"); strings.Contains(out, "2001:db8:83::34") {
		t.Errorf("parent mode: VIP left after Release:\n%s", out)
	}
}

// pinger6 sends ICMPv6 echo requests from inside a namespace (the test
// machine has no ping binary, and netns.Pinger is IPv4-only).
type pinger6 struct {
	conn *icmp.PacketConn
	id   int
	seq  int
}

func newPinger6(t testing.TB, ns *netns.Namespace) *pinger6 {
	t.Helper()
	var conn *icmp.PacketConn
	if err := ns.Do(func() error {
		var err error
		conn, err = icmp.ListenPacket("ip6:ipv6-icmp", "::")
		return err
	}); err != nil {
		t.Fatalf("ICMPv6 socket in %s: %v", ns.Short, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &pinger6{conn: conn, id: os.Getpid() & 0xffff}
}

// ping sends one echo request to dst and waits up to timeout for its reply.
func (p *pinger6) ping(dst netip.Addr, timeout time.Duration) error {
	p.seq++
	msg := icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{ID: p.id, Seq: p.seq, Data: []byte("carpvm6")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return err
	}
	if _, err := p.conn.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return err
	}
	if err := p.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return err
		}
		rm, err := icmp.ParseMessage(58, buf[:n])
		if err != nil || rm.Type != ipv6.ICMPTypeEchoReply {
			continue
		}
		if e, ok := rm.Body.(*icmp.Echo); ok && e.ID == p.id && e.Seq == p.seq {
			if a, ok := from.(*net.IPAddr); ok && a.IP.Equal(dst.AsSlice()) {
				return nil
			}
		}
	}
}

// pingUntil pings every 200 ms until a reply comes or within passes.
func (p *pinger6) pingUntil(t testing.TB, dst netip.Addr, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if err = p.ping(dst, 200*time.Millisecond); err == nil {
			return
		}
	}
	t.Fatalf("no ICMPv6 echo reply from %s within %s: %v", dst, within, err)
}

// The IPv6 advert source is the interface's own link-local address, never
// a link-local VIP a crashed --no-vmac run left on it.
func TestInterfaceLinkLocal(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	r := lb.host(t, "v6ll", "10.84.0.1/24")
	addr6(t, r, "2001:db8:84::1/64")
	if out, err := r.NS.Run(context.Background(), "ip", "-6", "addr", "add", "fe80::1/64", "dev", "eth0", "nodad"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got, alone netip.Addr
	var err1, err2 error
	if err := r.NS.Do(func() error {
		got, err1 = InterfaceLinkLocal("eth0", []netip.Addr{netip.MustParseAddr("fe80::1")})
		alone, err2 = InterfaceLinkLocal("lo", nil)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err1 != nil || !got.IsLinkLocalUnicast() || got == netip.MustParseAddr("fe80::1") {
		t.Errorf("InterfaceLinkLocal(eth0) = %v, %v; want eth0's own link-local address, not the VIP", got, err1)
	}
	if err2 == nil || !strings.Contains(err2.Error(), "no IPv6 link-local address") {
		t.Errorf("InterfaceLinkLocal(lo) = %v, %v; want an error (lo has none)", alone, err2)
	}
}
