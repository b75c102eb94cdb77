package vsphere

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/change"
)

// The vSphere data types a backup saves, by object kind.
const (
	savedOption      = "OptionValue"
	savedVSwitch     = "HostVirtualSwitchSpec"
	savedPortgroup   = "HostPortGroupSpec"
	savedDVPortgroup = "DVPortgroupConfigInfo"
	savedDVSwitch    = "DVSConfigInfo"
	savedRule        = "ClusterRuleInfo"
	savedPlacement   = "VirtualMachineRelocateSpec"
	savedNIC         = "VirtualDevice"
)

// Backup reads, in one RetrieveProperties, the whole current state of every
// object the plan touches: a host option's typed value, a vSwitch's or
// portgroup's whole spec, a distributed portgroup's whole configuration, a
// DRS rule (or its absence), a VM's host and pool, a NIC's whole device.
// With each state go the fields the plan sets, before and after, computed
// from it. The document holds the server's URL (and pinned thumbprint)
// without credentials.
func (s *Session) Backup(ctx context.Context, plan []change.Change) (change.Backup, error) {
	b := change.Backup{Format: change.BackupFormat, Target: s.target, Thumbprint: s.thumbprint, Time: time.Now().UTC(), Plan: plan}
	targets := planTargets(plan)
	snap, err := s.fixSnapshot(ctx, targets)
	if err != nil {
		return change.Backup{}, err
	}
	for _, t := range targets {
		saved, err := snap.save(t)
		if err != nil {
			return change.Backup{}, &Error{Op: "back up " + t.String(), Err: err}
		}
		if saved.Fields, saved.Toggled, err = objectFields(saved, plan); err != nil {
			return change.Backup{}, fmt.Errorf("vsphere: plan the fields of %s: %w", t, err)
		}
		b.Objects = append(b.Objects, saved)
	}
	if b.Objects == nil {
		b.Objects = []change.Saved{}
	}
	return b, nil
}

// planTargets returns the distinct objects of plan, in the order the plan
// first touches them.
func planTargets(plan []change.Change) []change.Target {
	var out []change.Target
	seen := map[string]bool{}
	for _, c := range plan {
		if k := c.Target.Key(); !seen[k] {
			seen[k] = true
			out = append(out, c.Target)
		}
	}
	return out
}

// fixState is what Backup, Apply and Rollback read of the objects a plan
// touches, by managed object id.
type fixState struct {
	hosts    map[string]*mo.HostSystem
	options  map[string]map[string]types.BaseOptionValue // host -> option key -> value
	clusters map[string]*mo.ClusterComputeResource
	vms      map[string]*mo.VirtualMachine
	dvpgs    map[string]*mo.DistributedVirtualPortgroup
	// dvswitches are distributed switches: their name, configVersion and
	// default port policy only.
	dvswitches map[string]*mo.DistributedVirtualSwitch
}

func optionPath(key string) string { return fmt.Sprintf("config.option[%q]", key) }

func targetRef(t change.Target) (types.ManagedObjectReference, error) {
	ref := func(kind, value string) (types.ManagedObjectReference, error) {
		if value == "" {
			return types.ManagedObjectReference{}, fmt.Errorf("%s: no managed object reference", t)
		}
		return types.ManagedObjectReference{Type: kind, Value: value}, nil
	}
	switch t.Kind {
	case change.KindHostOption, change.KindVSwitch, change.KindPortgroup:
		return ref("HostSystem", t.HostRef)
	case change.KindDVPortgroup:
		return ref("DistributedVirtualPortgroup", t.Ref)
	case change.KindDVSwitch:
		// Ref is Type:value: vCenter's switches are
		// VmwareDistributedVirtualSwitch, vcsim's DistributedVirtualSwitch.
		var r types.ManagedObjectReference
		if !r.FromString(t.Ref) {
			return r, fmt.Errorf("%s: no managed object reference", t)
		}
		return r, nil
	case change.KindClusterRule:
		return ref("ClusterComputeResource", t.ClusterRef)
	case change.KindVM, change.KindVMNIC:
		return ref("VirtualMachine", t.Ref)
	}
	return types.ManagedObjectReference{}, fmt.Errorf("%s: unknown object kind %q", t, t.Kind)
}

// fixSnapshot reads the targets' objects in one RetrieveProperties.
func (s *Session) fixSnapshot(ctx context.Context, targets []change.Target) (*fixState, error) {
	st := &fixState{
		hosts: map[string]*mo.HostSystem{}, options: map[string]map[string]types.BaseOptionValue{},
		clusters: map[string]*mo.ClusterComputeResource{}, vms: map[string]*mo.VirtualMachine{},
		dvpgs: map[string]*mo.DistributedVirtualPortgroup{}, dvswitches: map[string]*mo.DistributedVirtualSwitch{},
	}
	if len(targets) == 0 {
		return st, nil
	}
	hostPaths := []string{"name", "configManager.networkSystem", "configManager.advancedOption", "config.network.vswitch", "config.network.portgroup"}
	optionKeys := map[string]string{} // path -> key
	var objs []types.ObjectSpec
	seen := map[types.ManagedObjectReference]bool{}
	for _, t := range targets {
		ref, err := targetRef(t)
		if err != nil {
			return nil, &Error{Op: "read the objects to change", Err: err}
		}
		if p := optionPath(t.Name); t.Kind == change.KindHostOption && optionKeys[p] == "" {
			optionKeys[p] = t.Name
			hostPaths = append(hostPaths, p)
		}
		if !seen[ref] {
			seen[ref] = true
			objs = append(objs, types.ObjectSpec{Obj: ref, Skip: types.NewBool(false)})
		}
	}
	spec := types.PropertyFilterSpec{
		ObjectSet: objs,
		PropSet: []types.PropertySpec{
			{Type: "HostSystem", PathSet: hostPaths},
			{Type: "ClusterComputeResource", PathSet: []string{"name", "configurationEx"}},
			{Type: "VirtualMachine", PathSet: []string{"name", "config.hardware.device", "runtime.host", "resourcePool"}},
			{Type: "DistributedVirtualPortgroup", PathSet: []string{"config"}},
			{Type: "VmwareDistributedVirtualSwitch", PathSet: dvSwitchPaths},
			{Type: "DistributedVirtualSwitch", PathSet: dvSwitchPaths},
		},
	}
	err := s.retrieve(ctx, "read the objects to change", spec, func(o retrieved) {
		for path, val := range o.keyed {
			if key, v := optionKeys[path], optionValue(val); key != "" && v != nil {
				if st.options[o.ref.Value] == nil {
					st.options[o.ref.Value] = map[string]types.BaseOptionValue{}
				}
				st.options[o.ref.Value][key] = v
			}
		}
		switch obj := o.obj.(type) {
		case *mo.HostSystem:
			st.hosts[o.ref.Value] = obj
		case *mo.ClusterComputeResource:
			st.clusters[o.ref.Value] = obj
		case *mo.VirtualMachine:
			st.vms[o.ref.Value] = obj
		case *mo.DistributedVirtualPortgroup:
			st.dvpgs[o.ref.Value] = obj
		case *mo.VmwareDistributedVirtualSwitch:
			st.dvswitches[o.ref.String()] = &obj.DistributedVirtualSwitch
		case *mo.DistributedVirtualSwitch:
			st.dvswitches[o.ref.String()] = obj
		}
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// optionValue is a host option as the server sent it, nil when it is not
// one.
func optionValue(v types.AnyType) types.BaseOptionValue {
	switch o := v.(type) {
	case types.BaseOptionValue:
		return o
	case types.OptionValue:
		return &o
	}
	return nil
}

func (st *fixState) host(t change.Target) (*mo.HostSystem, error) {
	h, ok := st.hosts[t.HostRef]
	if !ok {
		return nil, fmt.Errorf("host %s (%s) not found", t.Host, t.HostRef)
	}
	return h, nil
}

func (st *fixState) vswitch(t change.Target) (*types.HostVirtualSwitch, error) {
	h, err := st.host(t)
	if err != nil {
		return nil, err
	}
	if h.Config != nil && h.Config.Network != nil {
		for i, vs := range h.Config.Network.Vswitch {
			if vs.Name == t.Name {
				return &h.Config.Network.Vswitch[i], nil
			}
		}
	}
	return nil, fmt.Errorf("host %s has no vSwitch %s", t.Host, t.Name)
}

func (st *fixState) portgroup(t change.Target) (*types.HostPortGroup, error) {
	h, err := st.host(t)
	if err != nil {
		return nil, err
	}
	if h.Config != nil && h.Config.Network != nil {
		for i, pg := range h.Config.Network.Portgroup {
			if pg.Spec.Name == t.Name {
				return &h.Config.Network.Portgroup[i], nil
			}
		}
	}
	return nil, fmt.Errorf("host %s has no portgroup %s", t.Host, t.Name)
}

func (st *fixState) option(t change.Target) (types.BaseOptionValue, error) {
	if _, err := st.host(t); err != nil {
		return nil, err
	}
	v, ok := st.options[t.HostRef][t.Name]
	if !ok {
		return nil, fmt.Errorf("host %s does not report option %s", t.Host, t.Name)
	}
	return v, nil
}

func (st *fixState) dvpg(t change.Target) (*mo.DistributedVirtualPortgroup, error) {
	pg, ok := st.dvpgs[t.Ref]
	if !ok {
		return nil, fmt.Errorf("distributed portgroup %s (%s) not found", t.Name, t.Ref)
	}
	return pg, nil
}

// dvSwitchPaths are what a backup saves of a distributed switch: the
// default port policy its portgroups inherit, with what writing it needs.
var dvSwitchPaths = []string{"name", "config.name", "config.configVersion", "config.defaultPortConfig"}

// dvswitch is t's switch configuration as read: its name, configVersion
// and default port policy.
func (st *fixState) dvswitch(t change.Target) (*types.DVSConfigInfo, error) {
	sw, ok := st.dvswitches[t.Ref]
	if !ok || sw.Config == nil {
		return nil, fmt.Errorf("distributed switch %s (%s) not found", t.Name, t.Ref)
	}
	c := sw.Config.GetDVSConfigInfo()
	return &types.DVSConfigInfo{Name: c.Name, ConfigVersion: c.ConfigVersion, DefaultPortConfig: c.DefaultPortConfig}, nil
}

// rule returns the cluster's rule named t.Name, nil when there is none.
func (st *fixState) rule(t change.Target) (types.BaseClusterRuleInfo, error) {
	cl, ok := st.clusters[t.ClusterRef]
	if !ok {
		return nil, fmt.Errorf("cluster %s (%s) not found", t.Cluster, t.ClusterRef)
	}
	cfg, ok := cl.ConfigurationEx.(*types.ClusterConfigInfoEx)
	if !ok {
		return nil, fmt.Errorf("cluster %s reports no rules configuration", t.Cluster)
	}
	for _, r := range cfg.Rule {
		if r.GetClusterRuleInfo().Name == t.Name {
			return r, nil
		}
	}
	return nil, nil
}

func (st *fixState) vm(t change.Target) (*mo.VirtualMachine, error) {
	vm, ok := st.vms[t.Ref]
	if !ok {
		return nil, fmt.Errorf("VM %s (%s) not found", t.Name, t.Ref)
	}
	return vm, nil
}

func (st *fixState) nic(t change.Target) (types.BaseVirtualDevice, error) {
	vm, err := st.vm(t)
	if err != nil {
		return nil, err
	}
	if vm.Config != nil {
		for _, d := range vm.Config.Hardware.Device {
			if d.GetVirtualDevice().Key == t.NICKey {
				if _, ok := d.(types.BaseVirtualEthernetCard); ok {
					return d, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("VM %s has no network adapter with key %d", t.Name, t.NICKey)
}

// save is the saved state of t's object.
func (st *fixState) save(t change.Target) (change.Saved, error) {
	out := change.Saved{Target: t}
	var v any
	switch t.Kind {
	case change.KindHostOption:
		o, err := st.option(t)
		if err != nil {
			return out, err
		}
		out.Type, v = savedOption, o.GetOptionValue()
	case change.KindVSwitch:
		vs, err := st.vswitch(t)
		if err != nil {
			return out, err
		}
		out.Type, v = savedVSwitch, &vs.Spec
	case change.KindPortgroup:
		pg, err := st.portgroup(t)
		if err != nil {
			return out, err
		}
		out.Type, v = savedPortgroup, &pg.Spec
	case change.KindDVPortgroup:
		pg, err := st.dvpg(t)
		if err != nil {
			return out, err
		}
		out.Type, v = savedDVPortgroup, &pg.Config
	case change.KindDVSwitch:
		cfg, err := st.dvswitch(t)
		if err != nil {
			return out, err
		}
		out.Type, v = savedDVSwitch, cfg
	case change.KindClusterRule:
		r, err := st.rule(t)
		if err != nil {
			return out, err
		}
		if r == nil {
			out.Absent = true
			return out, nil
		}
		out.Type, v = savedRule, r
	case change.KindVM:
		vm, err := st.vm(t)
		if err != nil {
			return out, err
		}
		out.Type, v = savedPlacement, &types.VirtualMachineRelocateSpec{Host: vm.Runtime.Host, Pool: vm.ResourcePool}
	case change.KindVMNIC:
		d, err := st.nic(t)
		if err != nil {
			return out, err
		}
		out.Type, v = savedNIC, d
	default:
		return out, fmt.Errorf("unknown object kind %q", t.Kind)
	}
	raw, err := encodeVim(v)
	if err != nil {
		return out, err
	}
	out.Spec = raw
	return out, nil
}

// encodeVim encodes a vSphere data object in vSphere's JSON encoding, with
// _typeName discriminators so that polymorphic fields decode back exactly.
func encodeVim(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := types.NewJSONEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return json.RawMessage(bytes.TrimSpace(buf.Bytes())), nil
}

// decodeVim decodes what encodeVim encoded into dst.
func decodeVim(raw json.RawMessage, dst any) error {
	if err := types.NewJSONDecoder(bytes.NewReader(raw)).Decode(dst); err != nil {
		return fmt.Errorf("decode saved %T: %w", dst, err)
	}
	return nil
}
