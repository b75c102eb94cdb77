package vsphere

import (
	"encoding/json"
	"fmt"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/change"
)

// objectFields computes, from an object's saved state and the plan's
// changes of it, the fields the plan sets (Fields) and the fields a
// promiscuous toggle turns off for a moment (Toggled), without touching
// vSphere: the record a rollback restores from.
func objectFields(saved change.Saved, plan []change.Change) (fields, toggled []change.Field, err error) {
	var set []change.Change
	toggle := false
	for _, c := range plan {
		if c.Target.Key() != saved.Target.Key() {
			continue
		}
		if c.Setting == change.SettingPromiscuousToggle {
			toggle = true
		} else {
			set = append(set, c)
		}
	}
	before, err := decodeTree(saved.Spec)
	if err != nil {
		return nil, nil, err
	}
	if len(set) > 0 {
		after, err := plannedSpec(saved, set)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", saved.Target, err)
		}
		tree, err := decodeTree(after)
		if err != nil {
			return nil, nil, err
		}
		fields = diffFields(before, tree)
	}
	if toggle {
		off, err := toggledOff(saved)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", saved.Target, err)
		}
		tree, err := decodeTree(off)
		if err != nil {
			return nil, nil, err
		}
		toggled = diffFields(before, tree)
	}
	return fields, toggled, nil
}

// plannedSpec is the object's saved spec with the changes' settings set:
// what the plan makes of it.
func plannedSpec(saved change.Saved, changes []change.Change) (json.RawMessage, error) {
	t := saved.Target
	b := change.Backup{Objects: []change.Saved{saved}}
	last := changes[len(changes)-1]
	switch t.Kind {
	case change.KindHostOption:
		var prev types.OptionValue
		if err := savedSpec(b, t, &prev); err != nil {
			return nil, err
		}
		if last.Value.Int == nil {
			return nil, fmt.Errorf("%s: no integer value to set", last)
		}
		v, err := sameIntType(prev.Value, *last.Value.Int)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		prev.Value = v
		return encodeVim(&prev)
	case change.KindVSwitch:
		var spec types.HostVirtualSwitchSpec
		if err := savedSpec(b, t, &spec); err != nil {
			return nil, err
		}
		if spec.Policy == nil {
			spec.Policy = &types.HostNetworkPolicy{}
		}
		return plannedSecurity(&spec, &spec.Policy.Security, changes)
	case change.KindPortgroup:
		var spec types.HostPortGroupSpec
		if err := savedSpec(b, t, &spec); err != nil {
			return nil, err
		}
		return plannedSecurity(&spec, &spec.Policy.Security, changes)
	case change.KindDVPortgroup:
		var cfg types.DVPortgroupConfigInfo
		if err := savedSpec(b, t, &cfg); err != nil {
			return nil, err
		}
		port, err := plannedPort(cfg.DefaultPortConfig, changes)
		if err != nil {
			return nil, err
		}
		cfg.DefaultPortConfig = port
		return encodeVim(&cfg)
	case change.KindDVSwitch:
		var cfg types.DVSConfigInfo
		if err := savedSpec(b, t, &cfg); err != nil {
			return nil, err
		}
		port, err := plannedPort(cfg.DefaultPortConfig, changes)
		if err != nil {
			return nil, err
		}
		cfg.DefaultPortConfig = port
		return encodeVim(&cfg)
	case change.KindClusterRule:
		return plannedRule(saved, last)
	case change.KindVM:
		var spec types.VirtualMachineRelocateSpec
		if err := savedSpec(b, t, &spec); err != nil {
			return nil, err
		}
		if last.Value.Ref == "" {
			return nil, fmt.Errorf("%s: no destination host", last)
		}
		spec.Host = &types.ManagedObjectReference{Type: "HostSystem", Value: last.Value.Ref}
		return encodeVim(&spec)
	case change.KindVMNIC:
		var dev types.BaseVirtualDevice
		if err := savedSpec(b, t, &dev); err != nil {
			return nil, err
		}
		card, ok := dev.(types.BaseVirtualEthernetCard)
		if !ok {
			return nil, fmt.Errorf("saved device is %T, not a network adapter", dev)
		}
		if last.Value.Text == "" {
			return nil, fmt.Errorf("%s: no MAC address to set", last)
		}
		eth := card.GetVirtualEthernetCard()
		eth.AddressType = string(types.VirtualEthernetCardMacTypeManual)
		eth.MacAddress = last.Value.Text
		return encodeVim(dev)
	}
	return nil, fmt.Errorf("unknown object kind %q", t.Kind)
}

// plannedPort is a copy of a distributed portgroup's or switch's default
// port setting with the changes' settings set.
func plannedPort(p types.BaseDVPortSetting, changes []change.Change) (*types.VMwareDVSPortSetting, error) {
	port, err := dvPortSetting(p)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if c.Value.Bool == nil {
			return nil, fmt.Errorf("%s: no value to set", c)
		}
		if err := setDVSetting(port, c.Setting, *c.Value.Bool); err != nil {
			return nil, err
		}
	}
	return port, nil
}

// plannedRule is the rule the change adds, or the saved rule enabled.
func plannedRule(saved change.Saved, c change.Change) (json.RawMessage, error) {
	r := c.Value.Rule
	if r == nil {
		return nil, fmt.Errorf("%s: no rule to add", c)
	}
	if r.Existing {
		var prev types.BaseClusterRuleInfo
		if err := savedSpec(change.Backup{Objects: []change.Saved{saved}}, saved.Target, &prev); err != nil {
			return nil, err
		}
		prev.GetClusterRuleInfo().Enabled = types.NewBool(true)
		return encodeVim(prev)
	}
	if !saved.Absent {
		return nil, fmt.Errorf("%s: the plan adds rule %s but the backup says it exists", c, r.Name)
	}
	if len(r.VMRefs) != len(r.VMs) || len(r.VMRefs) < 2 {
		return nil, fmt.Errorf("%s: the rule needs the managed object ids of both routers", c)
	}
	var vms []types.ManagedObjectReference
	for _, ref := range r.VMRefs {
		vms = append(vms, types.ManagedObjectReference{Type: "VirtualMachine", Value: ref})
	}
	var info types.BaseClusterRuleInfo = &types.ClusterAntiAffinityRuleSpec{
		ClusterRuleInfo: types.ClusterRuleInfo{Name: r.Name, Enabled: types.NewBool(true), Mandatory: types.NewBool(r.Mandatory)},
		Vm:              vms,
	}
	return encodeVim(info)
}

// toggledOff is the saved spec of a portgroup with promiscuous mode off:
// the first half of a toggle.
func toggledOff(saved change.Saved) (json.RawMessage, error) {
	t := saved.Target
	b := change.Backup{Objects: []change.Saved{saved}}
	switch t.Kind {
	case change.KindPortgroup:
		var spec types.HostPortGroupSpec
		if err := savedSpec(b, t, &spec); err != nil {
			return nil, err
		}
		if spec.Policy.Security == nil {
			spec.Policy.Security = &types.HostNetworkSecurityPolicy{}
		}
		spec.Policy.Security.AllowPromiscuous = types.NewBool(false)
		return encodeVim(&spec)
	case change.KindDVPortgroup:
		var cfg types.DVPortgroupConfigInfo
		if err := savedSpec(b, t, &cfg); err != nil {
			return nil, err
		}
		port, err := dvPortSetting(cfg.DefaultPortConfig)
		if err != nil {
			return nil, err
		}
		if err := setDVSetting(port, change.SettingPromiscuous, false); err != nil {
			return nil, err
		}
		cfg.DefaultPortConfig = port
		return encodeVim(&cfg)
	}
	return nil, fmt.Errorf("a promiscuous toggle does not apply to a %s", t.Kind)
}

// plannedSecurity sets the planned security fields on *sec (made when
// the saved spec had none) and encodes spec, the vSwitch or portgroup spec
// that holds it.
func plannedSecurity(spec any, sec **types.HostNetworkSecurityPolicy, changes []change.Change) (json.RawMessage, error) {
	if *sec == nil {
		*sec = &types.HostNetworkSecurityPolicy{}
	}
	if err := setSecurity(*sec, changes); err != nil {
		return nil, err
	}
	return encodeVim(spec)
}

// savedSpec decodes a fresh copy of the backup's spec of t into dst.
func savedSpec(b change.Backup, t change.Target, dst any) error {
	o, ok := b.Object(t.Key())
	if !ok {
		return fmt.Errorf("the backup holds no previous state of %s", t)
	}
	if o.Absent {
		return fmt.Errorf("the backup says %s did not exist", t)
	}
	return decodeVim(o.Spec, dst)
}
