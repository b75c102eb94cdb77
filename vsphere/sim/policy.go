package sim

import (
	"github.com/vmware/govmomi/vim25/types"
)

// ESXi's default vSwitch security: promiscuous Reject, MAC changes Accept,
// forged transmits Accept.
func defaultSecurity() *types.HostNetworkSecurityPolicy {
	return &types.HostNetworkSecurityPolicy{
		AllowPromiscuous: types.NewBool(false),
		MacChanges:       types.NewBool(true),
		ForgedTransmits:  types.NewBool(true),
	}
}

// vswitchPolicy completes a vSwitch spec's policy the way ESXi stores it: a
// vSwitch has nothing to inherit from, so unset fields take ESXi defaults
// and the active NIC order defaults to every bonded NIC.
func vswitchPolicy(p *types.HostNetworkPolicy, nics []string) *types.HostNetworkPolicy {
	out := &types.HostNetworkPolicy{}
	if p != nil {
		out = clonePolicy(*p)
	}
	def := defaultSecurity()
	if out.Security == nil {
		out.Security = def
	}
	s := out.Security
	s.AllowPromiscuous = orBool(s.AllowPromiscuous, def.AllowPromiscuous)
	s.MacChanges = orBool(s.MacChanges, def.MacChanges)
	s.ForgedTransmits = orBool(s.ForgedTransmits, def.ForgedTransmits)
	if out.NicTeaming == nil {
		out.NicTeaming = &types.HostNicTeamingPolicy{}
	}
	t := out.NicTeaming
	if t.Policy == "" {
		t.Policy = "loadbalance_srcid"
	}
	t.ReversePolicy = orBool(t.ReversePolicy, types.NewBool(true))
	t.NotifySwitches = orBool(t.NotifySwitches, types.NewBool(true))
	t.RollingOrder = orBool(t.RollingOrder, types.NewBool(false))
	if t.NicOrder == nil {
		t.NicOrder = &types.HostNicOrderPolicy{ActiveNic: append([]string(nil), nics...)}
	}
	if t.FailureCriteria == nil {
		t.FailureCriteria = defaultFailureCriteria()
	}
	if out.OffloadPolicy == nil {
		out.OffloadPolicy = &types.HostNetOffloadCapabilities{
			CsumOffload: types.NewBool(true), TcpSegmentation: types.NewBool(true), ZeroCopyXmit: types.NewBool(true),
		}
	}
	if out.ShapingPolicy == nil {
		out.ShapingPolicy = &types.HostNetworkTrafficShapingPolicy{Enabled: types.NewBool(false)}
	}
	return out
}

// defaultFailureCriteria is ESXi's failure detection of a new vSwitch:
// link status only.
func defaultFailureCriteria() *types.HostNicFailureCriteria {
	return &types.HostNicFailureCriteria{
		CheckSpeed: "minimum", Speed: 10,
		CheckDuplex: types.NewBool(false), FullDuplex: types.NewBool(false),
		CheckErrorPercent: types.NewBool(false), CheckBeacon: types.NewBool(false),
	}
}

// computePolicy is a portgroup's effective policy: each field the portgroup
// sets overrides the vSwitch's, each nil field inherits it. The result
// shares no pointer with either input.
func computePolicy(vs, pg types.HostNetworkPolicy) types.HostNetworkPolicy {
	out := *clonePolicy(vs)
	if s := pg.Security; s != nil {
		if out.Security == nil {
			out.Security = &types.HostNetworkSecurityPolicy{}
		}
		out.Security.AllowPromiscuous = overrideBool(out.Security.AllowPromiscuous, s.AllowPromiscuous)
		out.Security.MacChanges = overrideBool(out.Security.MacChanges, s.MacChanges)
		out.Security.ForgedTransmits = overrideBool(out.Security.ForgedTransmits, s.ForgedTransmits)
	}
	if t := pg.NicTeaming; t != nil {
		if out.NicTeaming == nil {
			out.NicTeaming = &types.HostNicTeamingPolicy{}
		}
		o := out.NicTeaming
		if t.Policy != "" {
			o.Policy = t.Policy
		}
		o.ReversePolicy = overrideBool(o.ReversePolicy, t.ReversePolicy)
		o.NotifySwitches = overrideBool(o.NotifySwitches, t.NotifySwitches)
		o.RollingOrder = overrideBool(o.RollingOrder, t.RollingOrder)
		if t.NicOrder != nil {
			o.NicOrder = &types.HostNicOrderPolicy{
				ActiveNic:  append([]string(nil), t.NicOrder.ActiveNic...),
				StandbyNic: append([]string(nil), t.NicOrder.StandbyNic...),
			}
		}
		if f := t.FailureCriteria; f != nil {
			if o.FailureCriteria == nil {
				o.FailureCriteria = &types.HostNicFailureCriteria{}
			}
			c := o.FailureCriteria
			if f.CheckSpeed != "" {
				c.CheckSpeed, c.Speed = f.CheckSpeed, f.Speed
			}
			c.CheckDuplex = overrideBool(c.CheckDuplex, f.CheckDuplex)
			c.FullDuplex = overrideBool(c.FullDuplex, f.FullDuplex)
			if f.CheckErrorPercent != nil {
				c.CheckErrorPercent, c.Percentage = types.NewBool(*f.CheckErrorPercent), f.Percentage
			}
			c.CheckBeacon = overrideBool(c.CheckBeacon, f.CheckBeacon)
		}
	}
	if p := pg.OffloadPolicy; p != nil {
		if out.OffloadPolicy == nil {
			out.OffloadPolicy = &types.HostNetOffloadCapabilities{}
		}
		out.OffloadPolicy.CsumOffload = overrideBool(out.OffloadPolicy.CsumOffload, p.CsumOffload)
		out.OffloadPolicy.TcpSegmentation = overrideBool(out.OffloadPolicy.TcpSegmentation, p.TcpSegmentation)
		out.OffloadPolicy.ZeroCopyXmit = overrideBool(out.OffloadPolicy.ZeroCopyXmit, p.ZeroCopyXmit)
	}
	if p := pg.ShapingPolicy; p != nil && p.Enabled != nil {
		sp := *p
		sp.Enabled = types.NewBool(*p.Enabled)
		out.ShapingPolicy = &sp
	}
	return out
}

// clonePolicy deep-copies a policy.
func clonePolicy(p types.HostNetworkPolicy) *types.HostNetworkPolicy {
	out := &types.HostNetworkPolicy{}
	if s := p.Security; s != nil {
		out.Security = &types.HostNetworkSecurityPolicy{
			AllowPromiscuous: copyBool(s.AllowPromiscuous),
			MacChanges:       copyBool(s.MacChanges),
			ForgedTransmits:  copyBool(s.ForgedTransmits),
		}
	}
	if t := p.NicTeaming; t != nil {
		c := &types.HostNicTeamingPolicy{
			Policy:         t.Policy,
			ReversePolicy:  copyBool(t.ReversePolicy),
			NotifySwitches: copyBool(t.NotifySwitches),
			RollingOrder:   copyBool(t.RollingOrder),
		}
		if f := t.FailureCriteria; f != nil {
			c.FailureCriteria = &types.HostNicFailureCriteria{
				CheckSpeed: f.CheckSpeed, Speed: f.Speed,
				CheckDuplex: copyBool(f.CheckDuplex), FullDuplex: copyBool(f.FullDuplex),
				CheckErrorPercent: copyBool(f.CheckErrorPercent), Percentage: f.Percentage,
				CheckBeacon: copyBool(f.CheckBeacon),
			}
		}
		if o := t.NicOrder; o != nil {
			c.NicOrder = &types.HostNicOrderPolicy{
				ActiveNic:  append([]string(nil), o.ActiveNic...),
				StandbyNic: append([]string(nil), o.StandbyNic...),
			}
		}
		out.NicTeaming = c
	}
	if o := p.OffloadPolicy; o != nil {
		out.OffloadPolicy = &types.HostNetOffloadCapabilities{
			CsumOffload: copyBool(o.CsumOffload), TcpSegmentation: copyBool(o.TcpSegmentation), ZeroCopyXmit: copyBool(o.ZeroCopyXmit),
		}
	}
	if s := p.ShapingPolicy; s != nil {
		c := *s
		c.Enabled = copyBool(s.Enabled)
		out.ShapingPolicy = &c
	}
	return out
}

func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	return types.NewBool(*b)
}

// overrideBool returns a copy of over when set, else of base.
func overrideBool(base, over *bool) *bool {
	if over != nil {
		return copyBool(over)
	}
	return copyBool(base)
}

func orBool(v, def *bool) *bool {
	if v != nil {
		return v
	}
	return copyBool(def)
}
