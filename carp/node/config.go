package node

import (
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/config"
)

// Defaults of `carpvm node run`.
const (
	DefaultControlSocket = "/run/carpvm/node.sock"
	DefaultAdvBase       = 1
	// PassEnv is the environment variable a passphrase may come from when
	// no pass file is given.
	PassEnv = "CARPVM_NODE_PASS"
)

// Config is a whole node: its groups and where it answers.
type Config struct {
	Groups        []Group
	ControlSocket string // "" disables the control socket
	MetricsListen string // "" disables metrics
	// Name is this router's name (e.g. router-002), for status.
	Name string
	// LinkTracking (default on) fails the node over as a whole router when
	// an interface carrying groups loses its link.
	LinkTracking bool
	// PreemptDelay holds preemption back after start.
	PreemptDelay time.Duration
	// Tracks demote the router while they fail.
	Tracks []Track
	// NoFreezeReannounce (node.yaml freeze_reannounce: false) keeps a
	// node that was frozen from announcing its VIPs at once on waking
	// (Options.NoFreezeReannounce): for drills that show why it matters.
	NoFreezeReannounce bool
	// TransitionLog (node.yaml transition_log) is the file each state
	// change is appended to as a carpvm.transition/v1 line; "" for none.
	TransitionLog string
}

// Group is one CARP group (VHID) on one interface.
type Group struct {
	Interface string
	VHID      uint8
	VIPs      []netip.Prefix
	AdvBase   uint8
	AdvSkew   uint8
	Preempt   bool
	Key       carp.Key
	// VMAC puts the VIPs on a macvlan with the virtual MAC (default);
	// false puts them on Interface itself (--no-vmac).
	VMAC bool
	// ManageVIPs false leaves the VIPs to the scripts (ucarp's model).
	ManageVIPs bool
	UpScript   string
	DownScript string
	XParam     string
	// Preferred names the router that should hold the group (rendered
	// from carpvm.yaml), for status; informational.
	Preferred string
	// Network is the group's network in carpvm.yaml (node.yaml network),
	// for the transition log; the interface's name when unset.
	Network string

	// Version is carp.Version (CARP) or carp.VRRPVersion (VRRPv3, which
	// uses Priority and Interval, in centiseconds, and has no Key).
	Version  uint8
	Priority uint8
	Interval uint16
	// ChecksumAsV2 sends and accepts IPv4 VRRPv3 checksums without the
	// pseudo-header, as some VRRPv3 routers send them (carp.VRRPChecksumAsV2).
	ChecksumAsV2 bool
	// Peer and Peer6 make the group unicast (FreeBSD 14's peer, peer6).
	Peer, Peer6 netip.Addr
}

// Addrs returns the VIPs' addresses.
func (g Group) Addrs() []netip.Addr {
	out := make([]netip.Addr, len(g.VIPs))
	for i, p := range g.VIPs {
		out[i] = p.Addr()
	}
	return out
}

// fileConfig is node.yaml as read.
type fileConfig struct {
	Interface        string      `mapstructure:"interface"`
	ControlSocket    *string     `mapstructure:"control_socket"`
	MetricsListen    string      `mapstructure:"metrics_listen"`
	Name             string      `mapstructure:"name"`
	LinkTracking     *bool       `mapstructure:"link_tracking"`
	PreemptDelay     string      `mapstructure:"preempt_delay"`
	FreezeReannounce *bool       `mapstructure:"freeze_reannounce"`
	Track            []fileTrack `mapstructure:"track"`
	Groups           []fileGroup `mapstructure:"groups"`
	TransitionLog    string      `mapstructure:"transition_log"`
}

type fileTrack struct {
	Name      string `mapstructure:"name"`
	Weight    *int   `mapstructure:"weight"`
	Command   string `mapstructure:"command"`
	Interface string `mapstructure:"interface"`
	Interval  string `mapstructure:"interval"`
	Timeout   string `mapstructure:"timeout"`
	Fall      int    `mapstructure:"fall"`
	Rise      int    `mapstructure:"rise"`
}

type fileGroup struct {
	Interface  string   `mapstructure:"interface"`
	Network    string   `mapstructure:"network"`
	VHID       *int     `mapstructure:"vhid"`
	VIPs       []string `mapstructure:"vips"`
	AdvBase    *int     `mapstructure:"advbase"`
	AdvSkew    int      `mapstructure:"advskew"`
	Preempt    bool     `mapstructure:"preempt"`
	PassFile   string   `mapstructure:"pass_file"`
	NoVMAC     bool     `mapstructure:"no_vmac"`
	ManageVIPs *bool    `mapstructure:"manage_vips"`
	UpScript   string   `mapstructure:"up_script"`
	DownScript string   `mapstructure:"down_script"`
	XParam     string   `mapstructure:"xparam"`
	Preferred  string   `mapstructure:"preferred"`
	// The protocol (ProtocolSettings).
	CarpVer      int    `mapstructure:"carpver"`
	VRRPPrio     int    `mapstructure:"vrrpprio"`
	VRRPInterval int    `mapstructure:"vrrpinterval"`
	Peer         string `mapstructure:"peer"`
	Peer6        string `mapstructure:"peer6"`
	ChecksumAsV2 bool   `mapstructure:"vrrp_checksum_as_v2"`
}

// LoadConfig reads and validates node.yaml (format: the repository's
// docs/commands.md, section "node.yaml"). Errors are *config.Error
// naming the key.
func LoadConfig(path string, getenv config.Getenv) (*Config, error) {
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, &config.Error{Key: "--config", Msg: fmt.Sprintf("read %s: %v", path, err)}
	}
	var fc fileConfig
	if err := v.UnmarshalExact(&fc); err != nil {
		return nil, &config.Error{Key: path, Msg: strings.ReplaceAll(err.Error(), "\n", " ")}
	}
	cfg := &Config{ControlSocket: DefaultControlSocket, MetricsListen: fc.MetricsListen, Name: fc.Name, LinkTracking: true,
		TransitionLog: fc.TransitionLog}
	if fc.ControlSocket != nil {
		cfg.ControlSocket = *fc.ControlSocket
	}
	if fc.LinkTracking != nil {
		cfg.LinkTracking = *fc.LinkTracking
	}
	if fc.FreezeReannounce != nil {
		cfg.NoFreezeReannounce = !*fc.FreezeReannounce
	}
	if fc.PreemptDelay != "" {
		d, err := time.ParseDuration(fc.PreemptDelay)
		if err != nil || d < 0 {
			return nil, &config.Error{Key: "preempt_delay", Msg: fmt.Sprintf("%q: want a duration such as 30s or 2m", fc.PreemptDelay)}
		}
		cfg.PreemptDelay = d
	}
	for i, ft := range fc.Track {
		t, err := ft.resolve(fmt.Sprintf("track[%d]", i))
		if err != nil {
			return nil, err
		}
		cfg.Tracks = append(cfg.Tracks, t)
	}
	if len(fc.Groups) == 0 {
		return nil, &config.Error{Key: "groups", Msg: "no group; want at least one {vhid, vips, pass_file}"}
	}
	// The file as written, to show a number the decoder mangled (an
	// integer past int64) as its author wrote it.
	doc, _ := os.ReadFile(path)
	for i, fg := range fc.Groups {
		key := fmt.Sprintf("groups[%d]", i)
		gs := fg.settings(fc.Interface)
		gs.Written = func(name string) (string, bool) { return config.Literal(doc, "groups", i, name) }
		g, err := gs.Resolve(func(name string) string { return key + "." + name }, getenv)
		if err != nil {
			return nil, err
		}
		cfg.Groups = append(cfg.Groups, g)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// settings are the group as node.yaml writes it, defIface its interface
// when the group names none.
func (fg fileGroup) settings(defIface string) GroupSettings {
	gs := GroupSettings{
		Interface: cmp.Or(fg.Interface, defIface), Network: fg.Network, VHID: fg.VHID, VIPs: fg.VIPs,
		AdvBase: fg.AdvBase, AdvSkew: fg.AdvSkew, Preempt: fg.Preempt, PassFile: fg.PassFile,
		NoVMAC: fg.NoVMAC, ManageVIPs: fg.ManageVIPs, UpScript: fg.UpScript, DownScript: fg.DownScript,
		XParam: fg.XParam, Preferred: fg.Preferred,
		Protocol: ProtocolSettings{CarpVer: fg.CarpVer, VRRPPrio: fg.VRRPPrio, VRRPInterval: fg.VRRPInterval,
			Peer: fg.Peer, Peer6: fg.Peer6, ChecksumAsV2: fg.ChecksumAsV2},
	}
	return gs
}

func (ft fileTrack) resolve(key string) (Track, error) {
	t := Track{Name: ft.Name, Command: ft.Command, Interface: ft.Interface, Weight: carp.DemotionFactor, Fall: ft.Fall, Rise: ft.Rise}
	if ft.Weight != nil {
		t.Weight = *ft.Weight
	}
	for _, d := range []struct {
		name string
		raw  string
		to   *time.Duration
	}{{"interval", ft.Interval, &t.Interval}, {"timeout", ft.Timeout, &t.Timeout}} {
		if d.raw == "" {
			continue
		}
		v, err := time.ParseDuration(d.raw)
		if err != nil || v <= 0 {
			return t, &config.Error{Key: key + "." + d.name, Msg: fmt.Sprintf("%q: want a positive duration such as 5s", d.raw)}
		}
		*d.to = v
	}
	return t, nil
}

// ReadKey reads the passphrase from passFile, or from $CARPVM_NODE_PASS
// when passFile is empty, and makes the CARP key. The passphrase is never
// part of an error.
func ReadKey(passFile string, getenv config.Getenv) (carp.Key, error) {
	var pass config.Secret
	switch {
	case passFile != "":
		s, err := config.ReadSecretFile(passFile)
		if err != nil {
			return carp.Key{}, err
		}
		pass = s
	case getenv != nil && getenv(PassEnv) != "":
		pass = config.NewSecret(getenv(PassEnv))
	default:
		return carp.Key{}, fmt.Errorf("no passphrase; want a pass file (first line is the passphrase) or $%s", PassEnv)
	}
	return carp.NewKey([]byte(pass.Reveal()))
}

// Validate checks what spans groups: an interface for each, VIPs, no
// VHID twice on one interface and no VIP twice (a VIP's source rule must
// lead to one group's macvlan).
func (c *Config) Validate() error {
	type ifvhid struct {
		iface string
		vhid  uint8
	}
	if err := validateTracks(c.Tracks); err != nil {
		return err
	}
	seen := map[ifvhid]int{}
	vipSeen := map[netip.Addr]int{}
	for i, g := range c.Groups {
		key := fmt.Sprintf("groups[%d]", i)
		if g.Interface == "" {
			return &config.Error{Key: key + ".interface", Msg: "missing; set interface at the top or in the group"}
		}
		if g.VHID == 0 {
			return &config.Error{Key: key + ".vhid", Msg: "missing; want an integer in 1..255"}
		}
		if len(g.VIPs) == 0 {
			return &config.Error{Key: key + ".vips", Msg: "empty; want at least one VIP, e.g. 172.27.27.14/28 or 2001:db8::14/64"}
		}
		if j, dup := seen[ifvhid{g.Interface, g.VHID}]; dup {
			return &config.Error{Key: key + ".vhid", Msg: fmt.Sprintf("vhid %d on %s is already groups[%d]", g.VHID, g.Interface, j)}
		}
		seen[ifvhid{g.Interface, g.VHID}] = i
		if j := slices.IndexFunc(g.VIPs, func(p netip.Prefix) bool { return p.Addr().Is4In6() || p.Addr().Zone() != "" }); j >= 0 {
			return &config.Error{Key: fmt.Sprintf("%s.vips[%d]", key, j), Msg: fmt.Sprintf("%s: want an IPv4 address or an IPv6 one without a zone", g.VIPs[j])}
		}
		if err := g.validateProtocol(key); err != nil {
			return err
		}
		for k, v := range g.VIPs {
			if j, dup := vipSeen[v.Addr()]; dup {
				return &config.Error{Key: fmt.Sprintf("%s.vips[%d]", key, k),
					Msg: fmt.Sprintf("VIP %s is already in groups[%d]; a VIP belongs to one group", v.Addr(), j)}
			}
			vipSeen[v.Addr()] = i
		}
	}
	return nil
}

// validateTracks checks each track: a unique name, a weight in 1..255, a
// command or an interface (not both), a timeout shorter than the interval.
func validateTracks(tracks []Track) error {
	names := map[string]int{}
	for i, t := range tracks {
		key := fmt.Sprintf("track[%d]", i)
		switch {
		case t.Name == "":
			return &config.Error{Key: key + ".name", Msg: "missing; want a name for logs and status"}
		case t.Weight < 1 || t.Weight > 255:
			return &config.Error{Key: key + ".weight", Msg: fmt.Sprintf("%d is out of range; want 1..255 (%d, the default, makes every group bow out)", t.Weight, carp.DemotionFactor)}
		case (t.Command == "") == (t.Interface == ""):
			return &config.Error{Key: key, Msg: "want either command (run every interval) or interface (its link), not both or neither"}
		case t.Fall < 0 || t.Rise < 0:
			return &config.Error{Key: key, Msg: "fall and rise are counts, 1 or more"}
		}
		interval, timeout := cmp.Or(t.Interval, DefaultTrackInterval), cmp.Or(t.Timeout, DefaultTrackTimeout)
		if t.Command != "" && timeout >= interval {
			return &config.Error{Key: key + ".timeout", Msg: fmt.Sprintf("%s is not shorter than the interval %s", timeout, interval)}
		}
		if j, dup := names[t.Name]; dup {
			return &config.Error{Key: key + ".name", Msg: fmt.Sprintf("%q is already track[%d]", t.Name, j)}
		}
		names[t.Name] = i
	}
	return nil
}
