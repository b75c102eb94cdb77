package node

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/config"
)

// GroupSettings are one group as its author gives it, a node.yaml group
// or node run's flags, before they are checked: Resolve is the one place
// both become a Group. A nil pointer is a setting not given.
type GroupSettings struct {
	Interface string
	Network   string
	VHID      *int
	VIPs      []string
	AdvBase   *int // default DefaultAdvBase
	AdvSkew   int
	Preempt   bool
	// PassFile's first line is the passphrase; "" reads $CARPVM_NODE_PASS.
	PassFile   string
	NoVMAC     bool
	ManageVIPs *bool // default true
	UpScript   string
	DownScript string
	XParam     string
	Preferred  string
	Protocol   ProtocolSettings
	// Written returns a setting's value as its file writes it (nil for
	// flags), to tell an integer the decoder mangled from the one written.
	Written func(name string) (string, bool)
}

// Resolve checks the settings and returns the group. key names a setting
// (by its node.yaml name: vhid, vips[0], pass_file) as its author wrote it,
// groups[0].vhid or --vhid; errors are *config.Error with that key. The
// passphrase is read here (PassFile, else $CARPVM_NODE_PASS from getenv),
// except for VRRPv3, which has none.
func (gs GroupSettings) Resolve(key func(name string) string, getenv config.Getenv) (Group, error) {
	bad := func(name, format string, args ...any) error {
		return &config.Error{Key: key(name), Msg: fmt.Sprintf(format, args...)}
	}
	g := Group{
		Interface: gs.Interface, AdvBase: DefaultAdvBase, Preempt: gs.Preempt,
		VMAC: !gs.NoVMAC, ManageVIPs: true,
		UpScript: gs.UpScript, DownScript: gs.DownScript, XParam: gs.XParam, Preferred: gs.Preferred,
		Network: gs.Network,
	}
	if gs.VHID == nil {
		return g, bad("vhid", "missing; want an integer in 1..255")
	}
	if lit, ok := gs.written("vhid"); ok {
		// An integer past int64 is loaded by YAML as a float, which the
		// decoder converts to nonsense; 1.5 would become 1.
		n, err := strconv.ParseInt(lit, 0, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return g, bad("vhid", "%s is out of range; want an integer in 1..255", lit)
		case err != nil || n != int64(*gs.VHID):
			return g, bad("vhid", "%s is not an integer; want an integer in 1..255", lit)
		}
	}
	if *gs.VHID < 1 || *gs.VHID > 255 {
		return g, bad("vhid", "%d is out of range; want an integer in 1..255", *gs.VHID)
	}
	g.VHID = uint8(*gs.VHID)
	if gs.AdvBase != nil {
		if *gs.AdvBase < 0 || *gs.AdvBase > 255 {
			return g, bad("advbase", "%d is out of range; want seconds in 0..255 (0: sub-second, labs only)", *gs.AdvBase)
		}
		g.AdvBase = uint8(*gs.AdvBase)
	}
	if gs.AdvSkew < 0 || gs.AdvSkew > carp.MaxAdvSkew {
		return g, bad("advskew", "%d is out of range; want 0..%d", gs.AdvSkew, carp.MaxAdvSkew)
	}
	g.AdvSkew = uint8(gs.AdvSkew)
	if gs.ManageVIPs != nil {
		g.ManageVIPs = *gs.ManageVIPs
	}
	for j, s := range gs.VIPs {
		p, err := config.ParseVIP(s)
		if err != nil {
			return g, bad(fmt.Sprintf("vips[%d]", j), "%v", err)
		}
		g.VIPs = append(g.VIPs, p)
	}
	if err := gs.Protocol.Apply(key, &g); err != nil {
		return g, err
	}
	if g.VRRP() {
		if gs.PassFile != "" {
			return g, bad("pass_file", "VRRPv3 has no authentication (RFC 9568 removed it), so a passphrase would protect nothing: remove it, or use carpver 2")
		}
		return g, nil
	}
	k, err := ReadKey(gs.PassFile, getenv)
	if err != nil {
		return g, bad("pass_file", "%v", err)
	}
	g.Key = k
	return g, nil
}

func (gs GroupSettings) written(name string) (string, bool) {
	if gs.Written == nil {
		return "", false
	}
	return gs.Written(name)
}
