package node

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestRuleSources(t *testing.T) {
	t.Parallel()
	pp := netip.MustParsePrefix
	vips := []netip.Prefix{pp("172.27.27.14/28"), pp("172.27.27.13/32"), pp("203.0.113.10/32")}
	got := ruleSources(vips, connectedRoutes(vips))
	want := []netip.Addr{netip.MustParseAddr("172.27.27.14"), netip.MustParseAddr("172.27.27.13")}
	if !slices.Equal(got, want) {
		t.Errorf("ruleSources = %v; want %v (the /32 in the /28 too, not the lone /32)", got, want)
	}
}

func TestIsSourceRule(t *testing.T) {
	t.Parallel()
	const table = 1000002001
	vips := []netip.Prefix{netip.MustParsePrefix("172.27.27.14/28")}
	ours := func() netlink.Rule {
		r := netlink.NewRule()
		r.Family = unix.AF_INET
		r.Priority = RulePriority
		r.Table = table
		r.Src = &net.IPNet{IP: net.IPv4(172, 27, 27, 14).To4(), Mask: net.CIDRMask(32, 32)}
		return *r
	}
	mask := uint32(0xff)
	for _, tc := range []struct {
		name string
		edit func(*netlink.Rule)
		want bool
	}{
		{"ours", func(*netlink.Rule) {}, true},
		{"ours at another priority", func(r *netlink.Rule) { r.Priority = 500 }, true},
		{"16-byte source", func(r *netlink.Rule) { r.Src.IP = r.Src.IP.To16() }, true},
		{"another table", func(r *netlink.Rule) { r.Table = table + 1 }, false},
		{"main table", func(r *netlink.Rule) { r.Table = unix.RT_TABLE_MAIN }, false},
		{"not a VIP", func(r *netlink.Rule) { r.Src.IP = net.IPv4(172, 27, 27, 11).To4() }, false},
		{"the VIP's prefix", func(r *netlink.Rule) { r.Src.Mask = net.CIDRMask(28, 32) }, false},
		{"no source", func(r *netlink.Rule) { r.Src = nil }, false},
		{"with a destination", func(r *netlink.Rule) { r.Dst = &net.IPNet{IP: net.IPv4(10, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)} }, false},
		{"iif", func(r *netlink.Rule) { r.IifName = "eth0" }, false},
		{"oif", func(r *netlink.Rule) { r.OifName = "eth0" }, false},
		{"fwmark", func(r *netlink.Rule) { r.Mark = 7 }, false},
		{"fwmask", func(r *netlink.Rule) { r.Mask = &mask }, false},
		{"tos", func(r *netlink.Rule) { r.Tos = 0x10 }, false},
		{"inverted", func(r *netlink.Rule) { r.Invert = true }, false},
		{"ipproto", func(r *netlink.Rule) { r.IPProto = unix.IPPROTO_TCP }, false},
		{"dport", func(r *netlink.Rule) { r.Dport = netlink.NewRulePortRange(22, 22) }, false},
		{"goto", func(r *netlink.Rule) { r.Goto = 2000 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ours()
			tc.edit(&r)
			if got := isSourceRule(r, table, vips); got != tc.want {
				t.Errorf("isSourceRule(%v) = %v; want %v", r, got, tc.want)
			}
		})
	}
	// IPv6: from VIP/128 only.
	vips6 := []netip.Prefix{netip.MustParsePrefix("2001:db8::14/64"), netip.MustParsePrefix("172.27.27.14/28")}
	ours6 := func(ip string, ones int) netlink.Rule {
		r := netlink.NewRule()
		r.Family = unix.AF_INET6
		r.Priority = RulePriority
		r.Table = table
		r.Src = &net.IPNet{IP: net.ParseIP(ip), Mask: net.CIDRMask(ones, 128)}
		return *r
	}
	for _, tc := range []struct {
		name string
		r    netlink.Rule
		want bool
	}{
		{"ipv6 ours", ours6("2001:db8::14", 128), true},
		{"ipv6 the VIP's prefix", ours6("2001:db8::14", 64), false},
		{"ipv6 not a VIP", ours6("2001:db8::15", 128), false},
		{"ipv4-mapped VIP in an IPv6 rule", ours6("::ffff:172.27.27.14", 128), false},
		{"ipv4 VIP next to an IPv6 one", ours(), true},
	} {
		if got := isSourceRule(tc.r, table, vips6); got != tc.want {
			t.Errorf("%s: isSourceRule(%v) = %v; want %v", tc.name, tc.r, got, tc.want)
		}
	}
}

// Several groups in one namespace, two of them with one VHID on two
// parents: each gets its own table and rules, traffic from each VIP to its
// prefix leaves through its macvlan, a stale rule is recognised exactly,
// and Release leaves nothing. Parent mode adds no rule.
func TestNetlinkVIPsSourceRouting(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	r := lb.host(t, "r", "10.81.0.1/24")
	if _, err := lb.w.Attach(t.Context(), lb.br, r.NS, "eth1", netip.MustParsePrefix("10.82.0.1/24")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run, do := inNamespace(t, ctx, r)
	index := func(name string) int {
		t.Helper()
		var idx int
		do("index of "+name, func() error {
			ifi, err := net.InterfaceByName(name)
			if err == nil {
				idx = ifi.Index
			}
			return err
		})
		return idx
	}
	pp := netip.MustParsePrefix
	g0 := &NetlinkVIPs{Parent: "eth0", VHID: 1, VMAC: true, VIPs: []netip.Prefix{pp("10.81.0.14/24"), pp("10.81.0.15/32")}}
	g1 := &NetlinkVIPs{Parent: "eth1", VHID: 1, VMAC: true, VIPs: []netip.Prefix{pp("10.82.0.14/24")}}
	g2 := &NetlinkVIPs{Parent: "eth0", VHID: 2, VMAC: true, VIPs: []netip.Prefix{pp("10.81.0.24/24"), pp("203.0.113.10/32")}}
	t0, _ := RouteTable(index("eth0"), 1)
	t1, _ := RouteTable(index("eth1"), 1)
	t2, _ := RouteTable(index("eth0"), 2)
	if t0 == t1 || t0 == t2 || t1 == t2 {
		t.Fatalf("tables %d %d %d; want three", t0, t1, t2)
	}

	// Left by a crash: g0's exact rule (stale), and rules that are not
	// ours although they lead to g0's table.
	run("ip", "rule", "add", "pref", "1000", "from", "10.81.0.14/32", "lookup", fmt.Sprint(t0))
	run("ip", "rule", "add", "pref", "900", "from", "10.81.0.99/32", "lookup", fmt.Sprint(t0))
	run("ip", "rule", "add", "pref", "901", "from", "10.81.0.14/32", "iif", "eth0", "lookup", fmt.Sprint(t0))
	foreign := []string{"from 10.81.0.99 lookup " + fmt.Sprint(t0), "from 10.81.0.14 iif eth0 lookup " + fmt.Sprint(t0)}
	for _, g := range []*NetlinkVIPs{g0, g1, g2} {
		do("prepare", g.Prepare)
	}
	rules := run("ip", "-4", "rule", "show")
	if strings.Contains(rules, fmt.Sprintf("1000:\tfrom 10.81.0.14 lookup %d", t0)) {
		t.Errorf("Prepare left the stale rule:\n%s", rules)
	}
	for _, f := range foreign {
		if !strings.Contains(rules, f) {
			t.Errorf("Prepare removed a rule that is not carpvm's (%q):\n%s", f, rules)
		}
	}

	for _, g := range []*NetlinkVIPs{g0, g1, g2} {
		do("claim", g.Claim)
	}
	do("claim again", g0.Claim) // idempotent
	rules = run("ip", "-4", "rule", "show")
	for _, want := range []string{
		fmt.Sprintf("%d:\tfrom 10.81.0.14 lookup %d", RulePriority, t0),
		fmt.Sprintf("%d:\tfrom 10.81.0.15 lookup %d", RulePriority, t0),
		fmt.Sprintf("%d:\tfrom 10.82.0.14 lookup %d", RulePriority, t1),
		fmt.Sprintf("%d:\tfrom 10.81.0.24 lookup %d", RulePriority, t2),
	} {
		if strings.Count(rules, want) != 1 {
			t.Errorf("rule %q not there once:\n%s", want, rules)
		}
	}
	if strings.Contains(rules, "203.0.113.10") {
		t.Errorf("a rule for the lone /32 VIP (it has no connected prefix):\n%s", rules)
	}
	for _, tc := range []struct{ dst, src, dev string }{
		{"10.81.0.9", "10.81.0.14", "carp1-eth0"},
		{"10.81.0.9", "10.81.0.15", "carp1-eth0"},
		{"10.82.0.9", "10.82.0.14", "carp1-eth1"},
		{"10.81.0.9", "10.81.0.24", "carp2-eth0"},
		{"10.81.0.9", "10.81.0.1", "eth0"}, // the router's own address: unchanged
	} {
		out := run("ip", "-4", "route", "get", tc.dst, "from", tc.src)
		if !strings.Contains(out, " dev "+tc.dev+" ") {
			t.Errorf("route from %s to %s: %q; want dev %s", tc.src, tc.dst, out, tc.dev)
		}
	}
	// Off the prefix, the table has no route and the main table decides.
	run("ip", "route", "add", "198.51.100.0/24", "via", "10.81.0.254", "dev", "eth0")
	if out := run("ip", "-4", "route", "get", "198.51.100.1", "from", "10.81.0.14"); !strings.Contains(out, " dev eth0 ") {
		t.Errorf("route from the VIP off its prefix: %q; want the main table's, dev eth0", out)
	}

	do("release g0", g0.Release)
	do("release g0 again", g0.Release) // idempotent
	want := []string{
		fmt.Sprintf("%d:\tfrom 10.81.0.24 lookup %d", RulePriority, t2),
		fmt.Sprintf("%d:\tfrom 10.82.0.14 lookup %d", RulePriority, t1),
	}
	if got := carpvmRules(run("ip", "-4", "rule", "show")); !slices.Equal(got, want) {
		t.Errorf("after releasing g0, carpvm's rules %q; want the other groups' %q", got, want)
	}
	do("release g1", g1.Release)
	do("release g2", g2.Release)
	rules = run("ip", "-4", "rule", "show")
	if got := carpvmRules(rules); len(got) != 0 {
		t.Errorf("rules left after Release: %q", got)
	}
	for _, f := range foreign {
		if !strings.Contains(rules, f) {
			t.Errorf("Release removed a rule that is not carpvm's (%q):\n%s", f, rules)
		}
	}
	for _, tb := range []int{t0, t1, t2} {
		if out := run("ip", "-4", "route", "show", "table", fmt.Sprint(tb)); strings.TrimSpace(out) != "" {
			t.Errorf("table %d not empty after Release:\n%s", tb, out)
		}
	}

	// Parent mode: the VIPs on eth0 itself and no rule.
	pm := &NetlinkVIPs{Parent: "eth0", VHID: 3, VIPs: []netip.Prefix{pp("10.81.0.34/24")}}
	do("parent-mode prepare", pm.Prepare)
	do("parent-mode claim", pm.Claim)
	if rules := run("ip", "-4", "rule", "show"); strings.Contains(rules, "10.81.0.34") {
		t.Errorf("parent mode added a rule:\n%s", rules)
	}
	do("parent-mode release", pm.Release)
}

// carpvmRules returns the lines of `ip rule show` at RulePriority, sorted.
func carpvmRules(out string) []string {
	var rules []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, fmt.Sprintf("%d:", RulePriority)) {
			rules = append(rules, strings.TrimSpace(l))
		}
	}
	slices.Sort(rules)
	return rules
}
