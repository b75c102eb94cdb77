package vsphere

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/facts"
)

// dvPortgroup describes a distributed portgroup with its switch's defaults.
func (g *gathering) dvPortgroup(ref types.ManagedObjectReference) *facts.DVPortgroup {
	idx := g.inv.dvpgs[ref]
	out := &facts.DVPortgroup{Key: idx.Key, Name: idx.Name}
	var swSetting *types.VMwareDVSPortSetting
	if sw := idx.Config.DistributedVirtualSwitch; sw != nil {
		if s, ok := g.inv.switches[*sw]; ok {
			out.Switch, out.SwitchUUID = s.Name, s.Uuid
		}
		out.SwitchRef = sw.String()
		if d, ok := g.switchDetail[*sw]; ok {
			if cfg := d.Config; cfg != nil {
				swSetting, _ = cfg.GetDVSConfigInfo().DefaultPortConfig.(*types.VMwareDVSPortSetting)
				out.Uplink = slices.Contains(cfg.GetDVSConfigInfo().UplinkPortgroup, ref)
			}
			for _, h := range d.Summary.HostMember {
				out.Hosts = append(out.Hosts, g.hostName(h))
			}
			sort.Strings(out.Hosts)
		}
	}
	if swSetting != nil {
		out.SwitchSecurity = dvSecurity(swSetting.SecurityPolicy)
		out.SwitchMACManagement = dvMACManagement(swSetting.MacManagementPolicy)
	}
	d, ok := g.dvpgDetail[ref]
	if !ok {
		return out
	}
	out.ConfigVersion = d.Config.ConfigVersion
	pg, _ := d.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
	if pg == nil {
		return out
	}
	switch v := pg.Vlan.(type) {
	case *types.VmwareDistributedVirtualSwitchVlanIdSpec:
		out.VLAN = v.VlanId
	case *types.VmwareDistributedVirtualSwitchTrunkVlanSpec:
		var r []string
		for _, n := range v.VlanId {
			if n.Start == n.End {
				r = append(r, strconv.Itoa(int(n.Start)))
			} else {
				r = append(r, fmt.Sprintf("%d-%d", n.Start, n.End))
			}
		}
		out.Trunk = strings.Join(r, ",")
	case *types.VmwareDistributedVirtualSwitchPvlanSpec:
		out.VLAN = v.PvlanId
	}
	out.Security = dvSecurity(pg.SecurityPolicy)
	out.MACManagement = dvMACManagement(pg.MacManagementPolicy)
	out.ActiveUplinks = activeUplinks(pg.UplinkTeamingPolicy)
	if out.ActiveUplinks == nil && swSetting != nil {
		out.ActiveUplinks = activeUplinks(swSetting.UplinkTeamingPolicy)
	}
	return out
}

// activeUplinks is a teaming policy's own active uplink order; nil when it
// inherits (the switch's then applies).
func activeUplinks(t *types.VmwareUplinkPortTeamingPolicy) []string {
	if t == nil || t.Inherited || t.UplinkPortOrder == nil || t.UplinkPortOrder.Inherited {
		return nil
	}
	return append([]string(nil), t.UplinkPortOrder.ActiveUplinkPort...)
}

func setting(p *types.BoolPolicy) facts.Setting {
	if p == nil {
		return facts.Setting{}
	}
	s := facts.Setting{Inherited: p.Inherited, Set: p.Value != nil}
	if p.Value != nil {
		s.Value = *p.Value
	}
	return s
}

func dvSecurity(p *types.DVSSecurityPolicy) facts.DVSecurity {
	if p == nil {
		return facts.DVSecurity{}
	}
	return facts.DVSecurity{
		Inherited:       p.Inherited,
		Promiscuous:     setting(p.AllowPromiscuous),
		MacChanges:      setting(p.MacChanges),
		ForgedTransmits: setting(p.ForgedTransmits),
	}
}

func dvMACManagement(p *types.DVSMacManagementPolicy) *facts.DVMACManagement {
	if p == nil {
		return nil
	}
	is := func(b *bool) bool { return b != nil && *b }
	m := &facts.DVMACManagement{
		Inherited:       p.Inherited,
		Promiscuous:     is(p.AllowPromiscuous),
		MacChanges:      is(p.MacChanges),
		ForgedTransmits: is(p.ForgedTransmits),
	}
	if p.MacLearningPolicy != nil {
		m.MACLearning = p.MacLearningPolicy.Enabled
	}
	return m
}

// optionInt reads an advanced option's value as ESXi reports it (a long;
// some servers send an int or a string).
func optionInt(v any) *int64 {
	if o, ok := v.(types.BaseOptionValue); ok {
		v = o.GetOptionValue().Value
	} else if o, ok := v.(types.OptionValue); ok {
		v = o.Value
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int32:
		n = int64(x)
	case int:
		n = int64(x)
	case int16:
		n = int64(x)
	case int8:
		n = int64(x)
	case string:
		p, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return nil
		}
		n = p
	default:
		return nil
	}
	return &n
}
