package node

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRouteTable(t *testing.T) {
	for _, tc := range []struct {
		index int
		vhid  uint8
		want  int
	}{
		{2, 1, 1000002001},
		{2, 255, 1000002255},
		{3, 1, 1000003001},
		{1, 1, 1000001001},
		{MaxRouteTableIndex, 255, 1000000000 + MaxRouteTableIndex*1000 + 255},
	} {
		got, err := RouteTable(tc.index, tc.vhid)
		if err != nil || got != tc.want {
			t.Errorf("RouteTable(%d, %d) = %d, %v; want %d", tc.index, tc.vhid, got, err, tc.want)
		}
	}
	// Every id fits a positive 32-bit int (and so the kernel's u32 and
	// netlink.Rule.Table on 32-bit platforms), above the reserved tables.
	if top, _ := RouteTable(MaxRouteTableIndex, 255); top > 1<<31-1 || top < 256 {
		t.Errorf("largest table id %d out of 256..2^31-1", top)
	}
	for _, tc := range []struct {
		index int
		vhid  uint8
	}{{0, 1}, {-1, 1}, {MaxRouteTableIndex + 1, 1}, {2, 0}} {
		if got, err := RouteTable(tc.index, tc.vhid); err == nil {
			t.Errorf("RouteTable(%d, %d) = %d; want an error", tc.index, tc.vhid, got)
		}
	}
}

// Two groups never share a table: not two VHIDs on one parent, not one
// VHID on two parents (sampled over small and large indexes).
func TestRouteTableNoCollision(t *testing.T) {
	seen := map[int]string{}
	indexes := []int{1, 2, 3, 9, 10, 99, 100, 999, 1000, 1001, 65535, 65536, MaxRouteTableIndex - 1, MaxRouteTableIndex}
	for _, idx := range indexes {
		for v := 1; v <= 255; v++ {
			id, err := RouteTable(idx, uint8(v))
			if err != nil {
				t.Fatal(err)
			}
			who := "index " + strconv.Itoa(idx) + " vhid " + strconv.Itoa(v)
			if prev, dup := seen[id]; dup {
				t.Fatalf("table %d for %s and %s", id, prev, who)
			}
			seen[id] = who
		}
	}
}

func TestConnectedRoutes(t *testing.T) {
	pp := netip.MustParsePrefix
	got := connectedRoutes([]netip.Prefix{
		pp("172.27.27.14/28"), pp("203.0.113.10/32"), pp("172.27.27.13/28"), pp("10.1.2.3/24"), pp("172.27.27.12/29"),
	})
	want := []connectedRoute{
		{pp("172.27.27.0/28"), netip.MustParseAddr("172.27.27.14")},
		{pp("10.1.2.0/24"), netip.MustParseAddr("10.1.2.3")},
		{pp("172.27.27.8/29"), netip.MustParseAddr("172.27.27.12")},
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("connectedRoutes (-want +got):\n%s", d)
	}
	if got := connectedRoutes([]netip.Prefix{pp("203.0.113.10/32"), pp("2001:db8::1/128")}); len(got) != 0 {
		t.Errorf("a lone /32 or /128 VIP has routes %v; want none", got)
	}
	got = connectedRoutes([]netip.Prefix{pp("2001:db8::14/64"), pp("172.27.27.14/28"), pp("2001:db8::15/64"), pp("fe80::1/64")})
	want = []connectedRoute{
		{pp("2001:db8::/64"), netip.MustParseAddr("2001:db8::14")},
		{pp("172.27.27.0/28"), netip.MustParseAddr("172.27.27.14")},
		{pp("fe80::/64"), netip.MustParseAddr("fe80::1")},
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("connectedRoutes with IPv6 (-want +got):\n%s", d)
	}
}
