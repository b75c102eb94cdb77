package lab

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/config"
)

// Defaults.
const (
	DefaultPrefix   = "cvl-"
	DefaultStateDir = "/run/carpvm-lab"
	DefaultAdvBase  = 1
)

// Peers: what runs on router-003.
const (
	PeerCarpvm = "carpvm"
	PeerUcarp  = "ucarp"
	// PeerKeepalived is Debian's keepalived in VRRPv3; router-002's
	// carpvm node then speaks VRRPv3 too.
	PeerKeepalived = "keepalived"
)

// Peers lists what lab up --peer accepts.
func Peers() []string { return []string{PeerCarpvm, PeerUcarp, PeerKeepalived} }

// Modes: how the routers send their adverts.
const (
	// ModeMulticast: to 224.0.0.18, through a switch that floods it.
	ModeMulticast = "multicast"
	// ModeUnicast: to the other router's address, through a switch that
	// drops multicast as an IGMP-snooping switch does.
	ModeUnicast = "unicast"
)

// Modes lists what lab up --mode accepts.
func Modes() []string { return []string{ModeMulticast, ModeUnicast} }

// Router names, as the typical user's VMs are named.
const (
	Router1 = "router-002"
	Router2 = "router-003"
	Client  = "client"
	Switch  = "sw"
)

// Net is one of the lab's two CARP networks.
type Net struct {
	Name string // intranought, public (as in config.Simulator())
	// Bridge is the bridge's name in the switch namespace; Leg the
	// interface name of every namespace's leg on it.
	Bridge, Leg string
	VHID        uint8
	VIP         netip.Prefix
	// Addrs are the routers' and the client's own addresses.
	Addrs map[string]netip.Prefix
}

// Nets are the lab's networks, in the order of config.Simulator().
var Nets = []Net{
	{
		Name: "intranought", Bridge: "IntraNought", Leg: "intra0", VHID: 1,
		VIP: netip.MustParsePrefix("172.27.27.14/28"),
		Addrs: map[string]netip.Prefix{
			Router1: netip.MustParsePrefix("172.27.27.11/28"),
			Router2: netip.MustParsePrefix("172.27.27.12/28"),
			Client:  netip.MustParsePrefix("172.27.27.13/28"),
		},
	},
	{
		Name: "public", Bridge: "Public", Leg: "pub0", VHID: 2,
		VIP: netip.MustParsePrefix("203.0.113.10/24"),
		Addrs: map[string]netip.Prefix{
			Router1: netip.MustParsePrefix("203.0.113.2/24"),
			Router2: netip.MustParsePrefix("203.0.113.3/24"),
			Client:  netip.MustParsePrefix("203.0.113.100/24"),
		},
	},
}

// AdvSkew is each router's advskew on the groups router-002 prefers; on
// the groups router-003 prefers (--active-active) the two are swapped.
var AdvSkew = map[string]uint8{Router1: 0, Router2: 100}

// Group is one CARP group of the lab: a network's own (its VHID and VIP,
// preferred by router-002) or, in an active/active lab, one more per
// network preferred by router-003.
type Group struct {
	Net       Net
	VHID      uint8
	VIP       netip.Prefix
	Preferred string
}

// activeActive are the groups an active/active lab adds, by network.
var activeActive = map[string]struct {
	vhid uint8
	vip  netip.Prefix
}{
	"intranought": {3, netip.MustParsePrefix("172.27.27.10/28")},
	"public":      {4, netip.MustParsePrefix("203.0.113.20/24")},
}

// Groups returns the lab's groups, network by network: each network's own
// group, then with activeActive the one router-003 prefers.
func Groups(activeActiveLab bool) []Group {
	var out []Group
	for _, n := range Nets {
		out = append(out, Group{Net: n, VHID: n.VHID, VIP: n.VIP, Preferred: Router1})
		if a, ok := activeActive[n.Name]; ok && activeActiveLab {
			out = append(out, Group{Net: n, VHID: a.vhid, VIP: a.vip, Preferred: Router2})
		}
	}
	return out
}

// AdvSkew is the advskew router runs g with: the lower one on the groups
// it prefers.
func (g Group) AdvSkew(router string) uint8 {
	if router == g.Preferred {
		return AdvSkew[Router1]
	}
	return AdvSkew[Router2]
}

// Members are the namespaces with a leg on every bridge.
var Members = []string{Router1, Router2, Client}

// NetByName returns the lab network named name.
func NetByName(name string) (Net, bool) {
	for _, n := range Nets {
		if n.Name == name {
			return n, true
		}
	}
	return Net{}, false
}

// Options say which lab: its names, where its state lives, what runs.
type Options struct {
	// Prefix starts every namespace name (default DefaultPrefix).
	Prefix string
	// StateDir holds the state file, pass files, logs and control
	// sockets (default DefaultStateDir).
	StateDir string
	// Peer runs on router-003: PeerCarpvm (default), PeerUcarp or
	// PeerKeepalived.
	Peer string
	// Mode is ModeMulticast (default) or ModeUnicast: the switch drops
	// multicast and the routers advertise to each other's address.
	Mode string
	// AdvBase is both routers' advbase in seconds, 0..255; nil means
	// DefaultAdvBase. 0 is OpenBSD's sub-second mode (a router advertises
	// every advskew/256 s, its backup takes over after 3*advskew/256 s),
	// which only the carpvm peer has (see CheckAdvBase).
	AdvBase *int
	// Executable is the carpvm binary the nodes run (default: this one).
	Executable string
	// ActiveActive adds a group per network that router-003 prefers, so
	// that both routers carry traffic.
	ActiveActive bool
	// Switch, when set, makes the bridges behave as the vSwitch of these
	// portgroup policies (docs/vswitch-model.md); nil keeps plain Linux
	// learning bridges, every setting at Accept.
	Switch *SwitchModel
	// Node are settings of the carpvm nodes (node.yaml) beyond the lab's
	// defaults.
	Node NodeSettings
}

// NodeSettings are node.yaml settings the lab's carpvm nodes can run with.
type NodeSettings struct {
	// NoVMAC puts the VIPs on the routers' legs, answered from their own
	// MACs (no_vmac), as keepalived does by default: a takeover then moves
	// the clients' ARP caches, not only the switch's table.
	NoVMAC bool `json:"no_vmac,omitempty"`
	// NoFreezeReannounce turns off the re-announce of a node that finds it
	// was frozen (freeze_reannounce: false), to show what it prevents.
	NoFreezeReannounce bool `json:"no_freeze_reannounce,omitempty"`
}

var validPrefix = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`)

func (o Options) withDefaults() (Options, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !validPrefix.MatchString(o.Prefix) {
		return o, fmt.Errorf("lab: prefix %q: want 1..20 lower-case letters, digits or '-'", o.Prefix)
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	if o.Peer == "" {
		o.Peer = PeerCarpvm
	}
	if !slices.Contains(Peers(), o.Peer) {
		return o, fmt.Errorf("lab: peer %q: want one of %s", o.Peer, strings.Join(Peers(), ", "))
	}
	if o.Mode == "" {
		o.Mode = ModeMulticast
	}
	if err := CheckMode(o.Peer, o.Mode); err != nil {
		return o, fmt.Errorf("lab: mode %q: %w", o.Mode, err)
	}
	if err := o.Switch.Validate(); err != nil {
		return o, err
	}
	if o.Switch != nil && o.ActiveActive {
		for _, p := range o.Switch.Nets {
			if p.SharedMAC != "" {
				return o, fmt.Errorf("lab: a switch model with a shared MAC (%s on %s) and --active-active: both routers would master groups bound to one MAC; build one or the other", p.SharedMAC, p.Portgroup)
			}
		}
	}
	if o.AdvBase == nil {
		o.AdvBase = AdvBase(DefaultAdvBase)
	}
	if err := CheckAdvBase(o.Peer, *o.AdvBase); err != nil {
		return o, fmt.Errorf("lab: advbase %d: %w", *o.AdvBase, err)
	}
	return o, nil
}

// CheckMode says why mode cannot be the lab's with peer on router-003
// (nil when it can): ucarp has no unicast mode.
func CheckMode(peer, mode string) error {
	if !slices.Contains(Modes(), mode) {
		return fmt.Errorf("want one of %s", strings.Join(Modes(), ", "))
	}
	if mode == ModeUnicast && peer == PeerUcarp {
		return fmt.Errorf("ucarp advertises to 224.0.0.18 only (it has no unicast mode), so on a switch that drops multicast both routers would become master; use --peer carpvm or --peer keepalived with --mode unicast")
	}
	return nil
}

// AdvBase returns a pointer to seconds, for Options.AdvBase.
func AdvBase(seconds int) *int { return &seconds }

// CheckAdvBase says why advbase cannot be the lab's with peer on
// router-003 (nil when it can): it must be 0..255, and 0 needs the carpvm
// peer. ucarp reads --advbase as whole seconds and has no sub-second mode:
// with advbase 0 its backup would wait advskew/256 s (FreeBSD's rule, 0.39 s
// for router-003) where carpvm waits 3*advskew/256 s (OpenBSD's), so the
// pair's timers would disagree, and ucarp refuses advbase 0 with advskew 0
// ("You must supply an advertisement time base").
func CheckAdvBase(peer string, advbase int) error {
	if advbase < 0 || advbase > 255 {
		return fmt.Errorf("want seconds in 0..255 (0: sub-second, carpvm peer only)")
	}
	if peer == PeerKeepalived && (advbase == 0 || advbase > maxVRRPAdvBase) {
		return fmt.Errorf("with --peer keepalived the routers speak VRRPv3, whose interval is advbase x 100 centiseconds: "+
			"want 1..%d (VRRPv3's interval field stops at 40.95 s, and advbase 0's advskew/256 s timers are CARP's, which VRRPv3 has not)", maxVRRPAdvBase)
	}
	if advbase == 0 && peer == PeerUcarp {
		return fmt.Errorf("sub-second timers need the carpvm peer: ucarp takes whole seconds only " +
			"(it has no sub-second mode: with advbase 0 its backup would wait advskew/256 s, not carpvm's 3*advskew/256 s, " +
			"and it refuses advbase 0 with advskew 0); use --advbase 1 or more with --peer ucarp")
	}
	return nil
}

// maxVRRPAdvBase is the largest advbase whose VRRPv3 interval (advbase x
// 100 cs) fits the advert's 12-bit field.
const maxVRRPAdvBase = 40

// VRRP says whether the lab's routers speak VRRPv3 (with keepalived).
func (o Options) VRRP() bool { return o.Peer == PeerKeepalived }

// VRRPInterval is the VRRPv3 interval, in centiseconds, of advbase.
func VRRPInterval(advbase int) int { return advbase * 100 }

// VRRPPriority is router's VRRPv3 priority on g, by the rule of
// config.Config.VRRPPriority: 254 less its advskew.
func (g Group) VRRPPriority(router string) int {
	c := config.Config{Pair: config.Pair{Routers: []config.Router{
		{Name: Router1, AdvSkew: int(AdvSkew[Router1])}, {Name: Router2, AdvSkew: int(AdvSkew[Router2])}}}}
	return c.VRRPPriority(router, config.Group{VHID: int(g.VHID), Master: g.Preferred})
}

// PairName is the name drills give the lab with prefix (its reports'
// pair, and its lock): "lab-cvl" for "cvl-".
func PairName(prefix string) string { return "lab-" + strings.TrimSuffix(prefix, "-") }

// Namespace is the full name of the lab namespace short (sw, router-002...).
func (o Options) Namespace(short string) string { return o.Prefix + short }

// BridgePort is the name, in the switch namespace, of member's port on
// net's bridge: "r2-intra0", "cl-pub0" (at most 15 bytes).
func BridgePort(member string, n Net) string {
	tag := map[string]string{Router1: "r2", Router2: "r3", Client: "cl"}[member]
	return tag + "-" + n.Leg
}
