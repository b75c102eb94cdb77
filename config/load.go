package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/viper"
)

// Error is a configuration error: the key that is wrong and why. Commands
// map it to exit code 2.
type Error struct {
	Key string // e.g. networks[1].vips[0]
	Msg string
}

func (e *Error) Error() string { return "config: " + e.Key + ": " + e.Msg }

func errorf(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Getenv looks up an environment variable; os.Getenv in production, a map in tests.
type Getenv func(string) string

// NewViper returns a viper instance that reads the CARPVM_* variables of
// getenv that override keys (vsphere.url <- CARPVM_VSPHERE_URL; see
// Variables) on top of an optional config file. file may be empty.
func NewViper(file string, getenv Getenv) (*viper.Viper, error) {
	v := viper.New()
	for _, ev := range keyVariables() {
		if s := getenv(ev.Name); s != "" {
			v.Set(ev.Key, s)
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, &Error{Key: "--config", Msg: fmt.Sprintf("read %s: %v", file, err)}
		}
	}
	return v, nil
}

// Load builds a validated Config from v; the vsphere settings as
// LoadVSphere reads them. The password is never read from the config file
// itself.
func Load(v *viper.Viper, getenv Getenv) (*Config, error) {
	c := &Config{}
	errs := checkFileKeys(v, topKeys)
	// The vsphere section's errors stand beside the pair's, so that every
	// error is reported at once (config check, and preflight alike).
	vs, vsErr := LoadVSphere(v, getenv)
	c.VSphere = vs

	c.Pair.Name = pairName(v)
	routers, err := parseRouters(v.Get("pair.routers"))
	errs = append(errs, err)
	c.Pair.Routers = routers

	nets, err := parseNetworks(v.Get("networks"))
	errs = append(errs, err)
	c.Networks = nets

	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(vsErr, err)
	}
	if err := errors.Join(vsErr, c.Validate()); err != nil {
		return nil, err
	}
	return c, nil
}

// pairName is the pair's name: pair.name, "routers" when unset.
func pairName(v *viper.Viper) string {
	return first(v.GetString("pair.name"), "routers")
}

// LoadVSphere reads the vsphere settings alone, for commands that only log
// in (preflight rollback). GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD,
// GOVC_INSECURE and GOVC_TLS_CA_CERTS fill only what carpvm's own keys
// leave unset (GOVC_TLS_KNOWN_HOSTS has no key of its own): the password
// is CARPVM_VSPHERE_PASSWORD, else vsphere.password_file, else
// GOVC_PASSWORD.
func LoadVSphere(v *viper.Viper, getenv Getenv) (VSphere, error) {
	if v.InConfig("vsphere.password") {
		return VSphere{}, errorf("vsphere.password", "passwords are not read from the config file; use CARPVM_VSPHERE_PASSWORD, GOVC_PASSWORD or vsphere.password_file")
	}
	vs := VSphere{
		URL:          first(v.GetString("vsphere.url"), getenv("GOVC_URL")),
		Username:     first(v.GetString("vsphere.username"), getenv("GOVC_USERNAME")),
		PasswordFile: v.GetString("vsphere.password_file"),
		Thumbprint:   v.GetString("vsphere.thumbprint"),
		CACerts:      first(v.GetString("vsphere.ca_certs"), getenv("GOVC_TLS_CA_CERTS")),
		KnownHosts:   getenv("GOVC_TLS_KNOWN_HOSTS"),
	}
	errs := vs.check()
	insecure, err := boolSetting(v, "vsphere.insecure", getenv("GOVC_INSECURE"))
	errs = append(errs, err)
	vs.Insecure = insecure
	switch {
	case getenv("CARPVM_VSPHERE_PASSWORD") != "":
		vs.Password = NewSecret(getenv("CARPVM_VSPHERE_PASSWORD"))
	case vs.PasswordFile != "":
		s, err := ReadSecretFile(vs.PasswordFile)
		if err != nil {
			errs = append(errs, errorf("vsphere.password_file", "%v", err))
		}
		vs.Password = s
	case getenv("GOVC_PASSWORD") != "":
		vs.Password = NewSecret(getenv("GOVC_PASSWORD"))
	}
	return vs, errors.Join(errs...)
}

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

func parseRouters(raw any) ([]Router, error) {
	if s, ok := raw.(string); ok { // CARPVM_PAIR_ROUTERS=router-002,router-003
		raw = splitList(s)
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, errorf("pair.routers", "want a list of two router VM names, e.g. [router-002, router-003]")
	}
	var routers []Router
	var errs []error
	for i, item := range list {
		key := fmt.Sprintf("pair.routers[%d]", i)
		// Routers listed by name only: the first is the preferred master.
		r := Router{AdvSkew: i * 100}
		switch it := item.(type) {
		case string:
			r.Name, r.VM = it, it
		case map[string]any:
			errs = append(errs, checkMapKeys(key, it, routerKeys)...)
			r.Name = str(it["name"])
			r.VM = first(str(it["vm"]), r.Name)
			if r.Name == "" {
				r.Name = r.VM
			}
			if s, ok := it["advskew"]; ok {
				n, err := intIn(s, 0, 254)
				if err != nil {
					errs = append(errs, errorf(key+".advskew", "%v", err))
				}
				r.AdvSkew = n
			}
		default:
			errs = append(errs, errorf(key, "want a VM name or {name, vm, advskew}, got %v", item))
			continue
		}
		if r.VM == "" {
			errs = append(errs, errorf(key, "router has no name or vm"))
		}
		routers = append(routers, r)
	}
	return routers, errors.Join(errs...)
}

// splitList splits an environment variable's list, comma- or
// space-separated.
func splitList(s string) []any {
	var out []any
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

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

// ParseVIP parses a VIP, the one parser of carpvm.yaml, node.yaml and the
// flags: CIDR form (172.27.27.14/28), or a bare address taken as a host
// route (/32 or /128). IPv4 and IPv6 VIPs are accepted; an IPv6 link-local
// VIP (fe80::1/64, a usual default gateway) too, but without a %zone: the
// group's interface is its zone. IPv4-mapped IPv6 addresses, multicast,
// loopback and unspecified addresses are refused.
func ParseVIP(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	addr, _, hasLen := strings.Cut(s, "/")
	if strings.Contains(addr, "%") {
		return netip.Prefix{}, fmt.Errorf("%q: an IPv6 zone (%%...) is not allowed; the group's interface is the VIP's zone", s)
	}
	var p netip.Prefix
	if hasLen {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix (want e.g. 172.27.27.14/28)", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix (want e.g. 172.27.27.14/28)", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	a := p.Addr()
	switch {
	case a.Is4In6():
		return netip.Prefix{}, fmt.Errorf("%q: an IPv4-mapped IPv6 address; write it as IPv4 (%s)", s, a.Unmap())
	case !a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLinkLocalUnicast():
		return netip.Prefix{}, fmt.Errorf("%q is not a unicast address", s)
	}
	return p, nil
}

// ParseUnicastMAC parses a 48-bit unicast MAC address.
func ParseUnicastMAC(s string) (net.HardwareAddr, error) {
	mac, err := net.ParseMAC(s)
	if err != nil || len(mac) != 6 {
		return nil, fmt.Errorf("%q is not a 48-bit MAC address (want e.g. 02:00:00:aa:bb:cc)", s)
	}
	if mac[0]&1 == 1 {
		return nil, fmt.Errorf("%q is a multicast MAC address; want a unicast one", s)
	}
	return mac, nil
}

func boolSetting(v *viper.Viper, key, fallback string) (bool, error) {
	if v.IsSet(key) {
		b, err := strconv.ParseBool(fmt.Sprint(v.Get(key)))
		if err != nil {
			return false, errorf(key, "%q is not a boolean (want true or false)", v.Get(key))
		}
		return b, nil
	}
	if fallback == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(fallback)
	if err != nil {
		return false, errorf("GOVC_INSECURE", "%q is not a boolean (want true or false)", fallback)
	}
	return b, nil
}

func intIn(raw any, lo, hi int) (int, error) {
	if raw == nil {
		return 0, fmt.Errorf("missing; want an integer in %d..%d", lo, hi)
	}
	n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(raw)))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%v is out of range; want an integer in %d..%d", raw, lo, hi)
	}
	return n, nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
