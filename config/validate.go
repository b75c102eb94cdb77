package config

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Validate checks the relations between fields that parsing alone cannot:
// two distinct routers, unique network names, one VHID per group on a
// portgroup, each VIP in one group, each group's master a router of the
// pair. It sets each group's default master.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Pair.Routers) != 2 {
		errs = append(errs, errorf("pair.routers", "want exactly two routers, got %d", len(c.Pair.Routers)))
	} else if c.Pair.Routers[0].VM == c.Pair.Routers[1].VM {
		errs = append(errs, errorf("pair.routers", "both routers are VM %q; want two distinct VMs", c.Pair.Routers[0].VM))
	} else if a, b := c.Pair.Routers[0], c.Pair.Routers[1]; a.AdvSkew == b.AdvSkew {
		// With equal timers a FreeBSD master steps down on the other's
		// advert ("more frequent advertisement received": it compares <=),
		// so two masters both step down, time out and flap.
		errs = append(errs, errorf("pair.routers[1].advskew", "%d, the same as %s's; CARP has no tie-break and an equal advert makes a FreeBSD master step down, so the pair flaps: give the backup a higher advskew (e.g. %s 0, %s 100)",
			b.AdvSkew, a.Name, a.Name, b.Name))
	}
	// viper lower-cases map keys: match router names without case.
	routers := map[string]string{}
	for _, r := range c.Pair.Routers {
		routers[strings.ToLower(r.Name)] = r.Name
	}
	seenName := map[string]bool{}
	seenVHID := map[string]string{}    // portgroup/vhid -> network
	seenVIP := map[netip.Addr]string{} // VIP -> "vhid N of network X"
	preferred := c.PreferredMaster()
	for i := range c.Networks {
		n := &c.Networks[i]
		key := fmt.Sprintf("networks[%d]", i)
		if seenName[n.Name] {
			errs = append(errs, errorf(key+".name", "network %q is defined twice", n.Name))
		}
		seenName[n.Name] = true
		for j := range n.Groups() {
			g := n.group(j)
			gkey := n.groupKey(key, j)
			k := n.Portgroup + "/" + strconv.Itoa(g.VHID)
			if other, ok := seenVHID[k]; ok {
				errs = append(errs, errorf(gkey+".vhid", "vhid %d is already used by network %q on portgroup %q; want one vhid per group on a segment", g.VHID, other, n.Portgroup))
			}
			seenVHID[k] = n.Name
			for v, vip := range g.VIPs {
				where := fmt.Sprintf("vhid %d of network %s", g.VHID, n.Name)
				if other, ok := seenVIP[vip.Addr()]; ok {
					errs = append(errs, errorf(fmt.Sprintf("%s.vips[%d]", gkey, v), "%s is already in %s; want each VIP in one group", vip.Addr(), other))
				}
				seenVIP[vip.Addr()] = where
			}
			switch name, ok := routers[strings.ToLower(g.Master)]; {
			case g.Master == "":
				g.Master = preferred
			case !ok:
				errs = append(errs, errorf(gkey+".master", "no router named %q in pair.routers; want one of %s", g.Master, strings.Join(c.routerNames(), ", ")))
			default:
				g.Master = name
			}
		}
		errs = append(errs, n.checkProtocol(key)...)
		for router, addr := range n.Addresses {
			name, ok := routers[strings.ToLower(router)]
			if !ok {
				errs = append(errs, errorf(key+".addresses."+router, "no router named %q in pair.routers", router))
				continue
			}
			if name != router {
				delete(n.Addresses, router)
				n.Addresses[name] = addr
			}
		}
	}
	return errors.Join(errs...)
}

// checkProtocol refuses what the network's protocol or mode cannot carry:
// a unicast network needs both routers' addresses, of each group's VIP
// family (FreeBSD's peer or peer6); a VRRPv3 advert carries one family and
// no authentication.
func (n *Network) checkProtocol(key string) []error {
	var errs []error
	if n.Mode == ModeUnicast && len(n.Addresses) < 2 {
		errs = append(errs, errorf(key+".addresses", "mode unicast sends each router's adverts to the other's address; want both routers' addresses, e.g. {router-002: 172.27.27.11/28, router-003: 172.27.27.12/28}"))
	}
	for j, g := range n.Groups() {
		v4, v6 := vipFamilies(g)
		gkey := n.groupKey(key, j)
		if n.Protocol == ProtocolVRRP3 && v4 && v6 {
			errs = append(errs, errorf(gkey+".vips", "vhid %d mixes IPv4 and IPv6 VIPs; a VRRPv3 advert carries one family: want one group per family", g.VHID))
		}
		if n.Mode != ModeUnicast {
			continue
		}
		for _, router := range slices.Sorted(maps.Keys(n.Addresses)) {
			addr := n.Addresses[router]
			if (v4 && !addr.Addr().Is4()) || (v6 && !addr.Addr().Is6()) {
				errs = append(errs, errorf(key+".addresses."+router, "%s cannot carry vhid %d's unicast adverts (peer for IPv4 VIPs, peer6 for IPv6): want an address of the VIPs' family", addr, g.VHID))
			}
		}
	}
	if n.Protocol == ProtocolVRRP3 && n.PassFile != "" {
		errs = append(errs, errorf(key+".pass_file", "VRRPv3 has no authentication (RFC 9568 removed it), so a passphrase would protect nothing: remove pass_file, or use protocol: carp"))
	}
	return errs
}

func vipFamilies(g Group) (v4, v6 bool) {
	for _, vip := range g.VIPs {
		if vip.Addr().Is4() {
			v4 = true
		} else {
			v6 = true
		}
	}
	return v4, v6
}

// group returns a pointer to the network's j-th group (0 is Group).
func (n *Network) group(j int) *Group {
	if j == 0 {
		return &n.Group
	}
	return &n.MoreGroups[j-1]
}

// groupKey names the network's j-th group in errors: the network itself
// for the one-group shorthand, networks[i].groups[j] otherwise.
func (n *Network) groupKey(key string, j int) string {
	if n.groupsKey == "" {
		return key
	}
	return fmt.Sprintf("%s.%s[%d]", key, n.groupsKey, j)
}

func (c *Config) routerNames() []string {
	names := make([]string, len(c.Pair.Routers))
	for i, r := range c.Pair.Routers {
		names[i] = r.Name
	}
	return names
}
