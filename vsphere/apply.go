package vsphere

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/change"
)

// step is one write (or, for a toggle, two) to one object: the plan's
// changes of that object, merged so that each object is written once.
type step struct {
	target  change.Target
	toggle  bool
	changes []change.Change
}

func (st step) String() string {
	if len(st.changes) == 1 {
		return st.changes[0].String()
	}
	var settings []string
	for _, c := range st.changes {
		settings = append(settings, string(c.Setting)+" -> "+c.Desired)
	}
	return st.target.String() + ": " + strings.Join(settings, ", ")
}

// planSteps merges the plan's changes of one object (a promiscuous toggle
// apart), keeping the order in which the plan first touches each.
func planSteps(plan []change.Change) []step {
	var out []step
	index := map[string]int{}
	for _, c := range plan {
		toggle := c.Setting == change.SettingPromiscuousToggle
		k := c.Target.Key()
		if toggle {
			k += "#toggle"
		}
		if i, ok := index[k]; ok {
			out[i].changes = append(out[i].changes, c)
			continue
		}
		index[k] = len(out)
		out = append(out, step{target: c.Target, toggle: toggle, changes: []change.Change{c}})
	}
	return out
}

// ApplyError is a failed Apply: the step that failed, the vSphere fault,
// and what became of the steps applied before it.
type ApplyError struct {
	Step, Steps int // 1-based number of the failed step, and the total
	What        string
	Err         error
	// RollbackErr is set when restoring the applied steps failed too; the
	// backup then still holds the previous state for a later rollback.
	RollbackErr error
	RolledBack  int // objects restored
}

func (e *ApplyError) Error() string {
	msg := fmt.Sprintf("apply step %d of %d (%s): %v", e.Step, e.Steps, e.What, e.Err)
	if e.RollbackErr != nil {
		return msg + "; rolling back failed too: " + e.RollbackErr.Error() + "; run carpvm preflight rollback with the backup file"
	}
	return msg + fmt.Sprintf("; %d object(s) touched were restored from the backup", e.RolledBack)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Apply applies b's plan in order, each object's whole spec read from the
// backup (taken just before), modified in the one setting the plan names,
// and written back whole: VLAN, teaming, shaping and the other security
// fields are kept exactly, and a field left unset stays unset unless it is
// the one set. A distributed portgroup is read again before each write for
// its current configVersion. If a step fails, the objects touched so far
// are restored from the backup in reverse order and the error, an
// *ApplyError wrapped in *Error, names the step and the vSphere fault.
func (s *Session) Apply(ctx context.Context, b change.Backup) error {
	if err := b.Validate(); err != nil {
		return err
	}
	steps := planSteps(b.Plan)
	if len(steps) == 0 {
		return nil
	}
	mgr, err := s.fixManagers(ctx, b)
	if err != nil {
		return err
	}
	a := &applier{s: s, b: b, mgr: mgr}
	var touched []change.Target
	for i, st := range steps {
		touched = append(touched, st.target)
		if err := a.apply(ctx, st); err != nil {
			ae := &ApplyError{Step: i + 1, Steps: len(steps), What: st.String(), Err: err}
			ae.RolledBack, ae.RollbackErr = s.restoreAll(ctx, b, mgr, touched)
			return &Error{Op: "apply the plan", Err: ae}
		}
	}
	return nil
}

// fixManagers is the network system and advanced-option manager of every
// host the backup's objects are on.
type fixManagers struct {
	network map[string]types.ManagedObjectReference
	option  map[string]types.ManagedObjectReference
}

func (s *Session) fixManagers(ctx context.Context, b change.Backup) (*fixManagers, error) {
	m := &fixManagers{network: map[string]types.ManagedObjectReference{}, option: map[string]types.ManagedObjectReference{}}
	var objs []types.ObjectSpec
	seen := map[string]bool{}
	for _, o := range b.Objects {
		switch o.Target.Kind {
		case change.KindHostOption, change.KindVSwitch, change.KindPortgroup:
			if h := o.Target.HostRef; h != "" && !seen[h] {
				seen[h] = true
				objs = append(objs, types.ObjectSpec{Obj: types.ManagedObjectReference{Type: "HostSystem", Value: h}})
			}
		}
	}
	if len(objs) == 0 {
		return m, nil
	}
	req := types.RetrieveProperties{
		This: s.client.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{{ObjectSet: objs, PropSet: []types.PropertySpec{
			{Type: "HostSystem", PathSet: []string{"configManager.networkSystem", "configManager.advancedOption"}},
		}}},
	}
	res, err := methods.RetrieveProperties(ctx, s.client, &req)
	if err != nil {
		return nil, &Error{Op: "read the hosts' configuration managers", Err: err}
	}
	for _, oc := range res.Returnval {
		var h mo.HostSystem
		if err := mo.LoadObjectContent([]types.ObjectContent{oc}, &h); err != nil {
			return nil, &Error{Op: "decode " + oc.Obj.String(), Err: err}
		}
		if r := h.ConfigManager.NetworkSystem; r != nil {
			m.network[oc.Obj.Value] = *r
		}
		if r := h.ConfigManager.AdvancedOption; r != nil {
			m.option[oc.Obj.Value] = *r
		}
	}
	return m, nil
}

func (m *fixManagers) networkSystem(s *Session, t change.Target) (*object.HostNetworkSystem, error) {
	ref, ok := m.network[t.HostRef]
	if !ok {
		return nil, fmt.Errorf("host %s has no network system", t.Host)
	}
	return object.NewHostNetworkSystem(s.client, ref), nil
}

func (m *fixManagers) optionManager(s *Session, t change.Target) (*object.OptionManager, error) {
	ref, ok := m.option[t.HostRef]
	if !ok {
		return nil, fmt.Errorf("host %s has no advanced option manager", t.Host)
	}
	return object.NewOptionManager(s.client, ref), nil
}

// applier applies steps. Each step starts from the backup's spec of its
// object: a toggle step ends with that spec written back, so a later step
// on the same object starts from the truth.
type applier struct {
	s   *Session
	b   change.Backup
	mgr *fixManagers
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

func (a *applier) apply(ctx context.Context, st step) error {
	t := st.target
	switch t.Kind {
	case change.KindHostOption:
		return a.option(ctx, st)
	case change.KindVSwitch:
		var spec types.HostVirtualSwitchSpec
		if err := savedSpec(a.b, t, &spec); err != nil {
			return err
		}
		if spec.Policy == nil {
			spec.Policy = &types.HostNetworkPolicy{}
		}
		if spec.Policy.Security == nil {
			spec.Policy.Security = &types.HostNetworkSecurityPolicy{}
		}
		if err := setSecurity(spec.Policy.Security, st.changes); err != nil {
			return err
		}
		ns, err := a.mgr.networkSystem(a.s, t)
		if err != nil {
			return err
		}
		return ns.UpdateVirtualSwitch(ctx, t.Name, spec)
	case change.KindPortgroup:
		return a.portgroup(ctx, st)
	case change.KindDVPortgroup:
		return a.dvportgroup(ctx, st)
	case change.KindClusterRule:
		return a.rule(ctx, st)
	case change.KindVM:
		return a.relocate(ctx, st)
	case change.KindVMNIC:
		return a.nic(ctx, st)
	}
	return fmt.Errorf("unknown object kind %q", t.Kind)
}

func (a *applier) option(ctx context.Context, st step) error {
	t := st.target
	var prev types.OptionValue
	if err := savedSpec(a.b, t, &prev); err != nil {
		return err
	}
	c := st.changes[len(st.changes)-1]
	if c.Value.Int == nil {
		return fmt.Errorf("%s: no integer value to set", c)
	}
	v, err := sameIntType(prev.Value, *c.Value.Int)
	if err != nil {
		return fmt.Errorf("%s %s: %w", t, t.Name, err)
	}
	om, err := a.mgr.optionManager(a.s, t)
	if err != nil {
		return err
	}
	return om.Update(ctx, []types.BaseOptionValue{&types.OptionValue{Key: t.Name, Value: v}})
}

// sameIntType returns n in the Go type of the option's current value, as
// ESXi wants an option set with its own type (a long for
// Net.ReversePathFwdCheckPromisc).
func sameIntType(current any, n int64) (any, error) {
	switch current.(type) {
	case int64, nil:
		return n, nil
	case int32:
		return int32(n), nil
	case int16:
		return int16(n), nil
	case int8:
		return int8(n), nil
	case string:
		return fmt.Sprint(n), nil
	}
	return nil, fmt.Errorf("current value has type %s, not an integer", reflect.TypeOf(current))
}

// setSecurity sets the security fields the changes name to their desired
// values, leaving the others as they are (nil stays nil).
func setSecurity(sec *types.HostNetworkSecurityPolicy, changes []change.Change) error {
	for _, c := range changes {
		if c.Value.Bool == nil {
			return fmt.Errorf("%s: no value to set", c)
		}
		v := types.NewBool(*c.Value.Bool)
		switch c.Setting {
		case change.SettingPromiscuous:
			sec.AllowPromiscuous = v
		case change.SettingMACChanges:
			sec.MacChanges = v
		case change.SettingForgedTransmits:
			sec.ForgedTransmits = v
		default:
			return fmt.Errorf("%s: setting %q does not apply to a standard switch", c.Object, c.Setting)
		}
	}
	return nil
}

func (a *applier) portgroup(ctx context.Context, st step) error {
	t := st.target
	ns, err := a.mgr.networkSystem(a.s, t)
	if err != nil {
		return err
	}
	var spec types.HostPortGroupSpec
	if err := savedSpec(a.b, t, &spec); err != nil {
		return err
	}
	if st.toggle {
		// Off, then the spec exactly as it was (promiscuous accepted there
		// or inherited as accepted from the vSwitch).
		var off types.HostPortGroupSpec // a fresh copy: spec's pointers stay untouched
		if err := savedSpec(a.b, t, &off); err != nil {
			return err
		}
		if off.Policy.Security == nil {
			off.Policy.Security = &types.HostNetworkSecurityPolicy{}
		}
		off.Policy.Security.AllowPromiscuous = types.NewBool(false)
		if err := ns.UpdatePortGroup(ctx, t.Name, off); err != nil {
			return fmt.Errorf("promiscuous off: %w", err)
		}
		if err := ns.UpdatePortGroup(ctx, t.Name, spec); err != nil {
			return fmt.Errorf("promiscuous on again: %w", err)
		}
		return nil
	}
	if spec.Policy.Security == nil {
		spec.Policy.Security = &types.HostNetworkSecurityPolicy{}
	}
	if err := setSecurity(spec.Policy.Security, st.changes); err != nil {
		return err
	}
	return ns.UpdatePortGroup(ctx, t.Name, spec)
}

// dvConfig reads a distributed portgroup's current configuration.
func (s *Session) dvConfig(ctx context.Context, t change.Target) (*types.DVPortgroupConfigInfo, error) {
	ref, err := targetRef(t)
	if err != nil {
		return nil, err
	}
	var pg mo.DistributedVirtualPortgroup
	if err := object.NewDistributedVirtualPortgroup(s.client, ref).Properties(ctx, ref, []string{"config"}, &pg); err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	return &pg.Config, nil
}

// dvSpec is the reconfiguration spec rewriting a portgroup's whole
// configuration cfg, with defaultPortConfig port and version.
func dvSpec(cfg *types.DVPortgroupConfigInfo, port types.BaseDVPortSetting, version string) types.DVPortgroupConfigSpec {
	return types.DVPortgroupConfigSpec{
		ConfigVersion:                version,
		Name:                         cfg.Name,
		NumPorts:                     cfg.NumPorts,
		PortNameFormat:               cfg.PortNameFormat,
		DefaultPortConfig:            port,
		Description:                  cfg.Description,
		Type:                         cfg.Type,
		BackingType:                  cfg.BackingType,
		Policy:                       cfg.Policy,
		AutoExpand:                   cfg.AutoExpand,
		VmVnicNetworkResourcePoolKey: cfg.VmVnicNetworkResourcePoolKey,
		LogicalSwitchUuid:            cfg.LogicalSwitchUuid,
		SegmentId:                    cfg.SegmentId,
	}
}

// reconfigureDV writes port as t's defaultPortConfig with the current
// configVersion, read just before, and the rest of its configuration as
// base says.
func (s *Session) reconfigureDV(ctx context.Context, t change.Target, base *types.DVPortgroupConfigInfo, port types.BaseDVPortSetting) error {
	cur, err := s.dvConfig(ctx, t)
	if err != nil {
		return err
	}
	ref, _ := targetRef(t)
	task, err := object.NewDistributedVirtualPortgroup(s.client, ref).Reconfigure(ctx, dvSpec(base, port, cur.ConfigVersion))
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

func (a *applier) dvportgroup(ctx context.Context, st step) error {
	t := st.target
	var prev types.DVPortgroupConfigInfo
	if err := savedSpec(a.b, t, &prev); err != nil {
		return err
	}
	port, err := dvPortSetting(prev.DefaultPortConfig)
	if err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	if st.toggle {
		if err := setDVSetting(port, change.SettingPromiscuous, false); err != nil {
			return err
		}
		if err := a.s.reconfigureDV(ctx, t, &prev, port); err != nil {
			return fmt.Errorf("promiscuous off: %w", err)
		}
		if err := a.s.reconfigureDV(ctx, t, &prev, prev.DefaultPortConfig); err != nil {
			return fmt.Errorf("promiscuous on again: %w", err)
		}
		return nil
	}
	for _, c := range st.changes {
		if c.Value.Bool == nil {
			return fmt.Errorf("%s: no value to set", c)
		}
		if err := setDVSetting(port, c.Setting, *c.Value.Bool); err != nil {
			return err
		}
	}
	return a.s.reconfigureDV(ctx, t, &prev, port)
}

// dvPortSetting returns a deep copy of a portgroup's default port setting.
func dvPortSetting(p types.BaseDVPortSetting) (*types.VMwareDVSPortSetting, error) {
	ps, ok := p.(*types.VMwareDVSPortSetting)
	if !ok || ps == nil {
		return nil, fmt.Errorf("default port configuration is %T, not a VMware distributed switch port setting", p)
	}
	raw, err := encodeVim(ps)
	if err != nil {
		return nil, err
	}
	var out types.VMwareDVSPortSetting
	if err := decodeVim(raw, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// setDVSetting sets one setting on a distributed port setting, explicitly
// (inherited: false), in the MAC management policy where the portgroup has
// one (it supersedes the security policy), else in the security policy.
func setDVSetting(ps *types.VMwareDVSPortSetting, setting change.Setting, v bool) error {
	if mm := ps.MacManagementPolicy; mm != nil {
		mm.Inherited = false
		switch setting {
		case change.SettingPromiscuous:
			mm.AllowPromiscuous = types.NewBool(v)
		case change.SettingMACChanges:
			mm.MacChanges = types.NewBool(v)
		case change.SettingForgedTransmits:
			mm.ForgedTransmits = types.NewBool(v)
		case change.SettingMACLearning:
			if mm.MacLearningPolicy == nil {
				mm.MacLearningPolicy = &types.DVSMacLearningPolicy{}
			}
			mm.MacLearningPolicy.Inherited = false
			mm.MacLearningPolicy.Enabled = v
		default:
			return fmt.Errorf("setting %q does not apply to a distributed portgroup", setting)
		}
		return nil
	}
	if setting == change.SettingMACLearning {
		return errors.New("the distributed portgroup has no MAC management policy (MAC learning needs vSphere 6.7+)")
	}
	if ps.SecurityPolicy == nil {
		ps.SecurityPolicy = &types.DVSSecurityPolicy{}
	}
	sp := ps.SecurityPolicy
	sp.Inherited = false
	bp := &types.BoolPolicy{InheritablePolicy: types.InheritablePolicy{Inherited: false}, Value: types.NewBool(v)}
	switch setting {
	case change.SettingPromiscuous:
		sp.AllowPromiscuous = bp
	case change.SettingMACChanges:
		sp.MacChanges = bp
	case change.SettingForgedTransmits:
		sp.ForgedTransmits = bp
	default:
		return fmt.Errorf("setting %q does not apply to a distributed portgroup", setting)
	}
	return nil
}

func (a *applier) rule(ctx context.Context, st step) error {
	t := st.target
	c := st.changes[len(st.changes)-1]
	r := c.Value.Rule
	if r == nil {
		return fmt.Errorf("%s: no rule to add", c)
	}
	spec := types.ClusterRuleSpec{}
	if r.Existing {
		var prev types.BaseClusterRuleInfo
		if err := savedSpec(a.b, t, &prev); err != nil {
			return err
		}
		prev.GetClusterRuleInfo().Enabled = types.NewBool(true)
		spec.Operation, spec.Info = types.ArrayUpdateOperationEdit, prev
	} else {
		if len(r.VMRefs) != len(r.VMs) || len(r.VMRefs) < 2 {
			return fmt.Errorf("%s: the rule needs the managed object ids of both routers", c)
		}
		var vms []types.ManagedObjectReference
		for _, ref := range r.VMRefs {
			vms = append(vms, types.ManagedObjectReference{Type: "VirtualMachine", Value: ref})
		}
		spec.Operation = types.ArrayUpdateOperationAdd
		spec.Info = &types.ClusterAntiAffinityRuleSpec{
			ClusterRuleInfo: types.ClusterRuleInfo{Name: r.Name, Enabled: types.NewBool(true), Mandatory: types.NewBool(r.Mandatory)},
			Vm:              vms,
		}
	}
	return a.s.reconfigureRules(ctx, t, spec)
}

func (s *Session) reconfigureRules(ctx context.Context, t change.Target, spec types.ClusterRuleSpec) error {
	ref, err := targetRef(t)
	if err != nil {
		return err
	}
	task, err := object.NewClusterComputeResource(s.client, ref).Reconfigure(ctx,
		&types.ClusterConfigSpecEx{RulesSpec: []types.ClusterRuleSpec{spec}}, true)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

func (a *applier) relocate(ctx context.Context, st step) error {
	c := st.changes[len(st.changes)-1]
	if c.Value.Ref == "" {
		return fmt.Errorf("%s: no destination host", c)
	}
	host := types.ManagedObjectReference{Type: "HostSystem", Value: c.Value.Ref}
	return a.s.relocateVM(ctx, st.target, types.VirtualMachineRelocateSpec{Host: &host})
}

func (s *Session) relocateVM(ctx context.Context, t change.Target, spec types.VirtualMachineRelocateSpec) error {
	ref, err := targetRef(t)
	if err != nil {
		return err
	}
	task, err := object.NewVirtualMachine(s.client, ref).Relocate(ctx, spec, types.VirtualMachineMovePriorityDefaultPriority)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

func (a *applier) nic(ctx context.Context, st step) error {
	t := st.target
	var dev types.BaseVirtualDevice
	if err := savedSpec(a.b, t, &dev); err != nil {
		return err
	}
	card, ok := dev.(types.BaseVirtualEthernetCard)
	if !ok {
		return fmt.Errorf("%s: saved device is %T, not a network adapter", t, dev)
	}
	c := st.changes[len(st.changes)-1]
	if c.Value.Text == "" {
		return fmt.Errorf("%s: no MAC address to set", c)
	}
	eth := card.GetVirtualEthernetCard()
	eth.AddressType = string(types.VirtualEthernetCardMacTypeManual)
	eth.MacAddress = c.Value.Text
	return a.s.editDevice(ctx, t, dev)
}

func (s *Session) editDevice(ctx context.Context, t change.Target, dev types.BaseVirtualDevice) error {
	ref, err := targetRef(t)
	if err != nil {
		return err
	}
	task, err := object.NewVirtualMachine(s.client, ref).Reconfigure(ctx, types.VirtualMachineConfigSpec{
		DeviceChange: []types.BaseVirtualDeviceConfigSpec{&types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: dev,
		}},
	})
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}
