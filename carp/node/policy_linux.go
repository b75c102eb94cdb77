package node

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// routeTable returns the group's table (RouteTable of the parent's index).
func (h *NetlinkVIPs) routeTable(parent netlink.Link) (int, error) {
	return RouteTable(parent.Attrs().Index, h.VHID)
}

// addSourceRouting fills the group's table with the VIPs' connected
// prefixes through the macvlan link, then adds a rule per VIP that lies in
// one of them. Rules of a previous claim are replaced.
func (h *NetlinkVIPs) addSourceRouting(table int, link netlink.Link) error {
	if err := h.removeRules(table, false); err != nil {
		return err
	}
	routes := connectedRoutes(h.VIPs)
	for _, r := range routes {
		rt := &netlink.Route{
			LinkIndex: link.Attrs().Index,
			Dst:       prefixToIPNet(r.Prefix),
			Src:       r.Src.AsSlice(),
			Scope:     netlink.SCOPE_LINK,
			Protocol:  unix.RTPROT_STATIC,
			Table:     table,
		}
		if r.Prefix.Addr().Is6() {
			rt.Scope = netlink.SCOPE_UNIVERSE // IPv6 routes have no scope
		}
		if err := h.nl().RouteReplace(rt); err != nil {
			return fmt.Errorf("node: route %s dev %s src %s table %d: %w", r.Prefix, link.Attrs().Name, r.Src, table, err)
		}
	}
	for _, src := range ruleSources(h.VIPs, routes) {
		rule := netlink.NewRule()
		rule.Family = unix.AF_INET
		if src.Is6() {
			rule.Family = unix.AF_INET6
		}
		rule.Priority = RulePriority
		rule.Src = prefixToIPNet(netip.PrefixFrom(src, src.BitLen()))
		rule.Table = table
		if err := h.nl().RuleAdd(rule); err != nil {
			return fmt.Errorf("node: rule from %s lookup %d: %w", src, table, err)
		}
	}
	return nil
}

// ruleSources returns the VIPs that lie in one of routes' prefixes: those a
// source rule can serve (a lone /32 VIP reaches nothing on a segment).
func ruleSources(vips []netip.Prefix, routes []connectedRoute) []netip.Addr {
	var out []netip.Addr
	for _, v := range vips {
		for _, r := range routes {
			if r.Prefix.Contains(v.Addr()) {
				out = append(out, v.Addr())
				break
			}
		}
	}
	return out
}

// removeRules removes carpvm's source rules of this group (isSourceRule);
// stale says it is the clean-up at start, which logs what it found. The
// table's routes go with the macvlan.
func (h *NetlinkVIPs) removeRules(table int, stale bool) error {
	rules, err := h.listRules(table)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rules {
		if !isSourceRule(r, table, h.VIPs) {
			continue
		}
		if stale {
			h.logger().Warn("removing a source rule left by a previous run (this node is not MASTER yet)",
				"vhid", h.VHID, "iface", h.Parent, "vip", r.Src.IP.String(), "table", table)
		}
		if err := h.nl().RuleDel(&r); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("node: remove rule from %s lookup %d: %w", r.Src, table, err))
		}
	}
	return errors.Join(errs...)
}

// listRules lists the rules that look up table: IPv4 ones, and IPv6 ones
// when a VIP is IPv6 (a host without IPv6 cannot list those), retrying a
// dump that a concurrent change interrupted.
func (h *NetlinkVIPs) listRules(table int) ([]netlink.Rule, error) {
	families := []int{unix.AF_INET}
	if h.hasIPv6() {
		families = append(families, unix.AF_INET6)
	}
	var all []netlink.Rule
	for _, family := range families {
		rules, err := h.listRulesOf(family, table)
		if err != nil {
			return nil, err
		}
		all = append(all, rules...)
	}
	return all, nil
}

func (h *NetlinkVIPs) listRulesOf(family, table int) ([]netlink.Rule, error) {
	filter := &netlink.Rule{Table: table}
	var err error
	for range 3 {
		var rules []netlink.Rule
		rules, err = h.nl().RuleListFiltered(family, filter, netlink.RT_FILTER_TABLE)
		if err == nil {
			return rules, nil
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return nil, fmt.Errorf("node: list rules of table %d: %w", table, err)
}

// isSourceRule says whether r is exactly one of this group's rules: it
// looks up the group's table and selects nothing but a source that is one
// of the VIPs, as a /32 (IPv4) or /128 (IPv6). Any other rule, a user's
// one into the same table included, is left alone.
func isSourceRule(r netlink.Rule, table int, vips []netip.Prefix) bool {
	if r.Table != table || r.Src == nil || r.Dst != nil || r.Invert ||
		r.IifName != "" || r.OifName != "" || r.Mark != 0 || r.Mask != nil || r.Tos != 0 ||
		r.Goto >= 0 || r.IPProto != 0 || r.Sport != nil || r.Dport != nil || r.UIDRange != nil {
		return false
	}
	src, ok := netip.AddrFromSlice(r.Src.IP)
	if !ok {
		return false
	}
	if len(r.Src.IP) == net.IPv6len && r.Src.IP.To4() != nil && len(r.Src.Mask) == net.IPv4len {
		src = src.Unmap() // an IPv4 rule whose source is stored in 16 bytes
	}
	if ones, bits := r.Src.Mask.Size(); ones != src.BitLen() || bits != src.BitLen() {
		return false
	}
	for _, v := range vips {
		if v.Addr() == src {
			return true
		}
	}
	return false
}
