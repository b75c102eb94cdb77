package node

import (
	"fmt"
	"net/netip"
)

// Source policy routing in virtual-MAC mode (see NetlinkVIPs). A VIP in a
// prefix the parent already has an address in goes on the macvlan without
// a prefix route, so the main table sends everything to the segment out of
// the parent, whose MAC would then be the Ethernet source of replies from
// the VIP. FreeBSD sends traffic from a CARP address from the virtual MAC,
// and the switch should keep learning that MAC from the master's traffic;
// so while MASTER each VIP gets a rule
//
//	RulePriority: from VIP/32 lookup RouteTable(parent index, vhid)
//
// and that table holds the VIP's connected prefix
//
//	PREFIX dev <macvlan> src VIP scope link
//
// Destinations outside the prefix find no route in the table, and the
// lookup goes on to the main table as before. IPv6 VIPs get the same in
// the IPv6 policy database (`ip -6 rule`: from VIP/128, the same table
// number, which is per family in Linux), so that replies to clients on
// the segment also leave from the virtual MAC; the macvlan resolves them
// with neighbour solicitations from the VIP itself (it has no link-local
// address).

// RulePriority is the priority of carpvm's source rules: before the main
// table's rule (32766), so that connected clients of a VIP are reached
// through the macvlan, and early enough that a user's own source-based
// tables (which usually hold default routes) do not send them through the
// parent. Every group uses it: a rule's identity is its priority, its
// selector "from VIP/32" and its table, and both the selector (a VIP
// belongs to one group, see Config.Validate) and the table (RouteTable)
// differ between groups.
const RulePriority = 1000

const (
	// routeTableBase makes carpvm's table ids read in decimal as
	// 1<parent ifindex, 6 digits><vhid, 3 digits>: 1000002001 is vhid 1
	// on interface index 2.
	routeTableBase = 1_000_000_000
	// MaxRouteTableIndex is the largest parent interface index RouteTable
	// can encode below 2^31 (table ids stay positive in a 32-bit int).
	MaxRouteTableIndex = (1<<31 - 1 - routeTableBase - 255) / 1000
)

// RouteTable returns the routing table that holds the connected prefixes
// of vhid's VIPs on the interface with index parentIndex. Two groups never
// share one: the index tells parents apart, the VHID groups on one parent.
// The parent's index is stable while the node runs and across a restart,
// so a restarted node finds the rules a crash left.
func RouteTable(parentIndex int, vhid uint8) (int, error) {
	if parentIndex < 1 || parentIndex > MaxRouteTableIndex {
		return 0, fmt.Errorf("node: interface index %d: carpvm's routing tables encode indexes 1..%d; recreate the interface to get a lower index, or use --no-vmac",
			parentIndex, MaxRouteTableIndex)
	}
	if vhid == 0 {
		return 0, fmt.Errorf("node: vhid 0: want 1..255")
	}
	return routeTableBase + parentIndex*1000 + int(vhid), nil
}

// connectedRoute is a route of a group's table: prefix through the
// macvlan, with src as the preferred source.
type connectedRoute struct {
	Prefix netip.Prefix
	Src    netip.Addr
}

// connectedRoutes returns the routes of a group's table: one per distinct
// connected prefix of the VIPs (a /32 or /128 VIP has none), its source the
// first VIP in it, in the VIPs' order; IPv4 and IPv6 alike.
func connectedRoutes(vips []netip.Prefix) []connectedRoute {
	var out []connectedRoute
	seen := map[netip.Prefix]bool{}
	for _, v := range vips {
		if v.Bits() >= v.Addr().BitLen() {
			continue
		}
		p := v.Masked()
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, connectedRoute{Prefix: p, Src: v.Addr()})
	}
	return out
}
