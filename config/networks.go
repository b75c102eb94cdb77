package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

func parseNetworks(raw any) ([]Network, error) {
	if raw == nil {
		return nil, errorf("networks", "no networks configured; want at least one {name, portgroup, vhid, vips}")
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, errorf("networks", "want a list of networks, got %T", raw)
	}
	var nets []Network
	var errs []error
	for i, item := range list {
		key := fmt.Sprintf("networks[%d]", i)
		m, ok := item.(map[string]any)
		if !ok {
			errs = append(errs, errorf(key, "want a map {name, portgroup, vhid, vips, ...}, got %v", item))
			continue
		}
		errs = append(errs, checkMapKeys(key, m, networkKeys)...)
		n := Network{
			Name:      str(m["name"]),
			Portgroup: str(m["portgroup"]),
			Interface: str(m["interface"]),
			PassFile:  str(m["pass_file"]),
		}
		if n.Name == "" {
			errs = append(errs, errorf(key+".name", "missing"))
		}
		if n.Portgroup == "" {
			errs = append(errs, errorf(key+".portgroup", "missing; want the portgroup name the routers' NICs use"))
		}
		n.AdvBase = 1
		if ab, ok := m["advbase"]; ok {
			var err error
			n.AdvBase, err = intIn(ab, 1, 255)
			if err != nil {
				errs = append(errs, errorf(key+".advbase", "%v", err))
			}
		}
		errs = append(errs, parseProtocol(key, m, &n))
		if n.Protocol == ProtocolVRRP3 && n.VRRPInterval == 0 {
			n.VRRPInterval = min(n.AdvBase*100, 4095)
		}
		groups, err := parseGroups(key, m)
		errs = append(errs, err)
		if len(groups) > 0 {
			n.Group, n.MoreGroups = groups[0], groups[1:]
		}
		if _, ok := m["groups"]; ok {
			n.groupsKey = "groups"
		}
		if raw, ok := m["addresses"]; ok {
			addrs, err := parseAddresses(key+".addresses", raw)
			errs = append(errs, err)
			n.Addresses = addrs
		}
		if s := str(m["vmac"]); s != "" {
			mac, err := ParseUnicastMAC(s)
			if err != nil {
				errs = append(errs, errorf(key+".vmac", "%v", err))
			}
			n.VMAC = mac
		}
		nets = append(nets, n)
	}
	return nets, errors.Join(errs...)
}

// parseProtocol reads a network's protocol, mode and VRRPv3 interval.
func parseProtocol(key string, m map[string]any, n *Network) error {
	var errs []error
	var err error
	if n.Protocol, err = oneOf(key+".protocol", m["protocol"], ProtocolCARP, ProtocolVRRP3); err != nil {
		errs = append(errs, err)
	}
	if n.Mode, err = oneOf(key+".mode", m["mode"], ModeMulticast, ModeUnicast); err != nil {
		errs = append(errs, err)
	}
	if raw, ok := m["vrrpinterval"]; ok {
		if n.VRRPInterval, err = intIn(raw, 1, 4095); err != nil {
			errs = append(errs, errorf(key+".vrrpinterval", "%v (centiseconds)", err))
		}
		if n.Protocol != ProtocolVRRP3 {
			errs = append(errs, errorf(key+".vrrpinterval", "set on a %s network; want protocol: vrrp3, or advbase for CARP", n.Protocol))
		}
	}
	return errors.Join(errs...)
}

// oneOf reads a setting that takes one of values, case-insensitively; the
// first is the default when it is unset.
func oneOf[T ~string](key string, raw any, values ...T) (T, error) {
	v := T(strings.ToLower(str(raw)))
	if v == "" {
		return values[0], nil
	}
	if slices.Contains(values, v) {
		return v, nil
	}
	words := make([]string, len(values))
	for i, w := range values {
		words[i] = string(w)
	}
	return values[0], errorf(key, "%q; want %s", str(raw), strings.Join(words, " or "))
}

// parseGroups reads a network's CARP groups: the groups list, or the
// one-group shorthand (vhid, vips and master at network level).
func parseGroups(key string, m map[string]any) ([]Group, error) {
	raw, ok := m["groups"]
	if !ok {
		g, err := parseGroup(key, m)
		return []Group{g}, err
	}
	for _, k := range []string{"vhid", "vips", "master"} {
		if _, dup := m[k]; dup {
			return nil, errorf(key+"."+k, "set beside groups; want either vhid/vips/master (one group) or a groups list, not both")
		}
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, errorf(key+".groups", "want a list of groups, e.g. [{vhid: 1, vips: [172.27.27.14/28]}, {vhid: 3, vips: [172.27.27.10/28], master: router-003}]")
	}
	var groups []Group
	var errs []error
	for j, item := range list {
		gkey := fmt.Sprintf("%s.groups[%d]", key, j)
		gm, ok := item.(map[string]any)
		if !ok {
			errs = append(errs, errorf(gkey, "want a map {vhid, vips, master}, got %v", item))
			continue
		}
		errs = append(errs, checkMapKeys(gkey, gm, groupKeys)...)
		g, err := parseGroup(gkey, gm)
		errs = append(errs, err)
		groups = append(groups, g)
	}
	return groups, errors.Join(errs...)
}

// parseGroup reads vhid, vips and master from m; key names m in errors.
func parseGroup(key string, m map[string]any) (Group, error) {
	var errs []error
	vhid, err := intIn(m["vhid"], 1, 255)
	if err != nil {
		errs = append(errs, errorf(key+".vhid", "%v", err))
	}
	g := Group{VHID: vhid, Master: str(m["master"])}
	vips, _ := m["vips"].([]any)
	if len(vips) == 0 {
		errs = append(errs, errorf(key+".vips", "want at least one VIP in CIDR form, e.g. [172.27.27.14/28]"))
	}
	for j, vip := range vips {
		p, err := ParseVIP(str(vip))
		if err != nil {
			errs = append(errs, errorf(fmt.Sprintf("%s.vips[%d]", key, j), "%v", err))
			continue
		}
		g.VIPs = append(g.VIPs, p)
	}
	return g, errors.Join(errs...)
}

func parseAddresses(key string, raw any) (map[string]netip.Prefix, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, errorf(key, "want a map of router name to address, e.g. {router-002: 172.27.27.11/28}")
	}
	addrs := make(map[string]netip.Prefix, len(m))
	var errs []error
	for router, v := range m {
		p, err := ParseVIP(str(v))
		if err != nil {
			errs = append(errs, errorf(key+"."+router, "%v", err))
			continue
		}
		addrs[router] = p
	}
	return addrs, errors.Join(errs...)
}
