package preflight

import (
	"github.com/carpvm/carpvm/vsphere/facts"
)

// setting is one of the three security settings CARP needs accepted.
type setting int

const (
	promiscuous setting = iota
	macChanges
	forgedTransmits
)

var settings = []setting{promiscuous, macChanges, forgedTransmits}

func (s setting) check() Check {
	return [...]Check{CheckPromiscuous, CheckMACChanges, CheckForgedTransmits}[s]
}

// label is the setting's name in the vSphere Client.
func (s setting) label() string {
	return [...]string{"Promiscuous mode", "MAC address changes", "Forged transmits"}[s]
}

func (s setting) standard(sec facts.Security) *bool {
	return [...]*bool{sec.Promiscuous, sec.MacChanges, sec.ForgedTransmits}[s]
}

func (s setting) distributed(sec facts.DVSecurity) facts.Setting {
	return [...]facts.Setting{sec.Promiscuous, sec.MacChanges, sec.ForgedTransmits}[s]
}

func (s setting) macManagement(m *facts.DVMACManagement) bool {
	return [...]bool{m.Promiscuous, m.MacChanges, m.ForgedTransmits}[s]
}

// effective is a resolved security setting and where its value comes from.
type effective struct {
	known  bool
	accept bool
	// source says where the value comes from, in words that complete
	// "Reject, ...": "inherited from vSwitch0", "set on portgroup Public".
	source string
	// macLearning is set for a distributed portgroup whose effective MAC
	// management policy has MAC learning on: promiscuous mode is then not
	// needed.
	macLearning bool
	// macPolicy says the value comes from a DVS MAC management policy, which
	// supersedes the security policy (vSphere 6.7+).
	macPolicy bool
	// inherited says the value comes from the vSwitch or the distributed
	// switch, not from the portgroup.
	inherited bool
}

func (e effective) verdict() string {
	switch {
	case !e.known:
		return "unknown"
	case e.accept:
		return "Accept"
	default:
		return "Reject"
	}
}

// String reads "Reject, inherited from vSwitch0".
func (e effective) String() string {
	if e.source == "" {
		return e.verdict()
	}
	return e.verdict() + ", " + e.source
}

// standardEffective resolves a standard portgroup's setting on host h. The
// host's computed policy is the truth when it reports one; the portgroup's
// override, else its vSwitch's policy, says where the value comes from.
func standardEffective(h facts.Host, pg facts.Portgroup, s setting) effective {
	var declared *bool
	var source string
	inherited := s.standard(pg.Override) == nil
	if v := s.standard(pg.Override); v != nil {
		declared, source = v, "set on portgroup "+pg.Name
	} else if vs, ok := h.VSwitch(pg.VSwitch); ok && s.standard(vs.Security) != nil {
		declared, source = s.standard(vs.Security), "inherited from "+vs.Name
	}
	computed := s.standard(pg.Computed)
	switch {
	case computed == nil && declared == nil:
		return effective{source: "not reported by host " + h.Name}
	case computed == nil:
		return effective{known: true, accept: *declared, source: source, inherited: inherited}
	case declared == nil:
		return effective{known: true, accept: *computed, source: "computed by host " + h.Name, inherited: inherited}
	case *computed == *declared:
		return effective{known: true, accept: *computed, source: source, inherited: inherited}
	default:
		return effective{known: true, accept: *computed, inherited: inherited,
			source: "computed by host " + h.Name + " (" + source + " says " + acceptWord(*declared) + ")"}
	}
}

// distributedEffective resolves a distributed portgroup's setting: its
// DefaultPortConfig MAC management policy where the server reports one, else
// its security policy, each resolved to the switch's defaults when inherited.
func distributedEffective(pg *facts.DVPortgroup, s setting) effective {
	mm, source := pg.MACManagement, "MAC management policy set on dvportgroup "+pg.Name
	inherited := false
	if mm != nil && mm.Inherited {
		// Inherited with no switch policy reported: fall back to the
		// security policy below rather than guess.
		mm, source, inherited = pg.SwitchMACManagement, "MAC management policy inherited from "+pg.Switch, true
	}
	if mm != nil {
		return effective{known: true, accept: s.macManagement(mm), source: source,
			macLearning: mm.MACLearning, macPolicy: true, inherited: inherited}
	}
	v := s.distributed(pg.Security)
	source, inherited = "set on dvportgroup "+pg.Name, false
	if pg.Security.Inherited || v.Inherited {
		v, source, inherited = s.distributed(pg.SwitchSecurity), "inherited from "+pg.Switch, true
	}
	if !v.Set {
		return effective{source: "not reported for dvportgroup " + pg.Name}
	}
	return effective{known: true, accept: v.Value, source: source, inherited: inherited}
}

func acceptWord(b bool) string {
	if b {
		return "Accept"
	}
	return "Reject"
}
