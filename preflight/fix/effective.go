package fix

import (
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// secSetting is one of the three security settings CARP needs accepted.
type secSetting struct {
	check   preflight.Check
	setting change.Setting
	label   string
	std     func(facts.Security) *bool
	dv      func(facts.DVSecurity) facts.Setting
	mm      func(*facts.DVMACManagement) bool
}

var secSettings = []secSetting{
	{preflight.CheckPromiscuous, change.SettingPromiscuous, "Promiscuous mode",
		func(s facts.Security) *bool { return s.Promiscuous },
		func(s facts.DVSecurity) facts.Setting { return s.Promiscuous },
		func(m *facts.DVMACManagement) bool { return m.Promiscuous }},
	{preflight.CheckMACChanges, change.SettingMACChanges, "MAC address changes",
		func(s facts.Security) *bool { return s.MacChanges },
		func(s facts.DVSecurity) facts.Setting { return s.MacChanges },
		func(m *facts.DVMACManagement) bool { return m.MacChanges }},
	{preflight.CheckForgedTransmits, change.SettingForgedTransmits, "Forged transmits",
		func(s facts.Security) *bool { return s.ForgedTransmits },
		func(s facts.DVSecurity) facts.Setting { return s.ForgedTransmits },
		func(m *facts.DVMACManagement) bool { return m.ForgedTransmits }},
}

// state is a resolved setting: whether it is known, accepted, and where its
// value comes from, in words completing "Reject, ...".
type state struct {
	known, accept bool
	source        string
	macLearning   bool
}

func (s state) String() string {
	v := "unknown"
	if s.known {
		v = acceptWord(s.accept)
	}
	if s.source == "" {
		return v
	}
	return v + ", " + s.source
}

func acceptWord(b bool) string {
	if b {
		return "Accept"
	}
	return "Reject"
}

// standardState resolves a standard portgroup's setting on host h: the
// host's computed policy when reported, else the portgroup's override, else
// its vSwitch's value.
func standardState(h facts.Host, pg facts.Portgroup, s secSetting) state {
	var source string
	var declared *bool
	if v := s.std(pg.Override); v != nil {
		declared, source = v, "set on portgroup "+pg.Name
	} else if vs, ok := h.VSwitch(pg.VSwitch); ok && s.std(vs.Security) != nil {
		declared, source = s.std(vs.Security), "inherited from "+vs.Name
	}
	if c := s.std(pg.Computed); c != nil {
		return state{known: true, accept: *c, source: source}
	}
	if declared != nil {
		return state{known: true, accept: *declared, source: source}
	}
	return state{source: "not reported by host " + h.Name}
}

// dvMACPolicy returns the MAC management policy in effect on a distributed
// portgroup (its own, or the switch's when inherited), nil when the server
// reports none.
func dvMACPolicy(pg *facts.DVPortgroup) (*facts.DVMACManagement, string) {
	if pg.MACManagement != nil && !pg.MACManagement.Inherited {
		return pg.MACManagement, "MAC management policy set on dvportgroup " + pg.Name
	}
	if pg.MACManagement != nil && pg.SwitchMACManagement != nil {
		return pg.SwitchMACManagement, "MAC management policy inherited from " + pg.Switch
	}
	return nil, ""
}

// distributedState resolves a distributed portgroup's setting: the MAC
// management policy where reported (it supersedes the security policy),
// else the security policy, each resolved to the switch's when inherited.
func distributedState(pg *facts.DVPortgroup, s secSetting) state {
	if mm, source := dvMACPolicy(pg); mm != nil {
		return state{known: true, accept: s.mm(mm), source: source, macLearning: mm.MACLearning}
	}
	v, source := s.dv(pg.Security), "set on dvportgroup "+pg.Name
	if pg.Security.Inherited || v.Inherited {
		v, source = s.dv(pg.SwitchSecurity), "inherited from "+pg.Switch
	}
	if !v.Set {
		return state{source: "not reported for dvportgroup " + pg.Name}
	}
	return state{known: true, accept: v.Value, source: source}
}
