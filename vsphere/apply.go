package vsphere

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
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
	// Objects is the state of each object of the plan after the undo, as
	// read again (or not: StateNotReread).
	Objects []ObjectState
}

// ObjectState is what became of one object of a failed plan.
type ObjectState struct {
	Object string // e.g. "portgroup Public on esxi-01"
	State  string // one of the State* texts
}

// The states of an object after a failed Apply's undo.
const (
	StateRestored    = "restored: re-read, written back and read back field by field"
	StateNotVerified = "may hold the fix's values: written back, but reading it back failed"
	StateUnchanged   = "unchanged: re-read, it holds its values from before the fix"
	StateNotWritten  = "unchanged: not written (the plan stopped before it)"
	StateToggled     = "unchanged: promiscuous mode turned off and on again, as planned (its answer received)"
	StateNotReread   = "may hold the fix's values: it could not be re-read (vCenter did not answer)"
	StateNotRestored = "holds the fix's values: writing it back failed"
	StateOtherWriter = "left as is: another writer changed it since"
)

func (e *ApplyError) Error() string {
	msg := fmt.Sprintf("apply step %d of %d (%s): %v", e.Step, e.Steps, e.What, e.Err)
	if e.RollbackErr != nil {
		msg += "; undoing failed too: " + e.RollbackErr.Error()
	} else {
		msg += fmt.Sprintf("; %d object(s) touched were restored, field by field", e.RolledBack)
	}
	if len(e.Objects) > 0 {
		msg += "; each object of the plan:"
		for _, o := range e.Objects {
			msg += "\n  " + o.Object + ": " + o.State
		}
	}
	if e.RollbackErr != nil {
		msg += "\nonce vCenter answers again, run carpvm preflight rollback with the backup file: it restores every object above that the fix changed"
	}
	return msg
}

func (e *ApplyError) Unwrap() error { return e.Err }

// UndoTimeout bounds the undo of a failed or interrupted Apply, and a
// log-out, which run on a fresh context (see Detached).
const UndoTimeout = 2 * time.Minute

// Detached is a context for clean-up after ctx may have been cancelled
// (Ctrl-C): it keeps ctx's values, is never cancelled with it, and has its
// own UndoTimeout deadline.
func Detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), UndoTimeout)
}

// maxWriteAttempts bounds the re-reads after vSphere refused a write with
// ConcurrentAccess (a distributed portgroup's configVersion moved).
const maxWriteAttempts = 5

// Apply applies b's plan in order. Before each write it reads the object
// again and compares the fields the plan sets (the backup's Fields) with
// their values in the backup: it writes only the fields still as they were,
// into the object as it is now, so that every other field, whatever set it,
// is kept. A distributed portgroup is written with the configVersion just
// read, so vSphere itself refuses the write if another writer got in
// between; Apply then reads again. An object another writer already set to
// the plan's values is left as is and named in an *OtherWriterError once
// the plan is through; a field found at a third value stops Apply with a
// *ConflictError. If a step fails, or ctx is cancelled, the writes made so
// far are undone, field by field, on a fresh context (Detached), and the
// error, an *ApplyError wrapped in *Error, names the step and the fault.
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
	for i, st := range steps {
		err := ctx.Err()
		if err == nil {
			err = a.apply(ctx, st)
		}
		if err != nil {
			ae := &ApplyError{Step: i + 1, Steps: len(steps), What: st.String(), Err: err}
			undoCtx, cancel := Detached(ctx)
			ae.RolledBack, ae.Objects, ae.RollbackErr = a.undo(undoCtx)
			cancel()
			ae.Objects = append(ae.Objects, a.notWritten(steps)...)
			return &Error{Op: "apply the plan", Err: ae}
		}
	}
	if len(a.others) > 0 {
		return &Error{Op: "apply the plan", Err: &OtherWriterError{Objects: a.others}}
	}
	return nil
}

// notWritten is the state of each object of steps Apply never wrote.
func (a *applier) notWritten(steps []step) []ObjectState {
	var out []ObjectState
	seen := map[string]bool{}
	for _, w := range a.written {
		seen[w.target.Key()] = true
	}
	for _, t := range a.toggled {
		if k := t.Key(); !seen[k] {
			seen[k] = true
			out = append(out, ObjectState{Object: t.String(), State: StateToggled})
		}
	}
	for _, st := range steps {
		if k := st.target.Key(); !seen[k] {
			seen[k] = true
			out = append(out, ObjectState{Object: st.target.String(), State: StateNotWritten})
		}
	}
	return out
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
	spec := types.PropertyFilterSpec{ObjectSet: objs, PropSet: []types.PropertySpec{
		{Type: "HostSystem", PathSet: []string{"configManager.networkSystem", "configManager.advancedOption"}},
	}}
	err := s.retrieve(ctx, "read the hosts' configuration managers", spec, func(o retrieved) {
		h, ok := o.obj.(*mo.HostSystem)
		if !ok {
			return
		}
		if r := h.ConfigManager.NetworkSystem; r != nil {
			m.network[o.ref.Value] = *r
		}
		if r := h.ConfigManager.AdvancedOption; r != nil {
			m.option[o.ref.Value] = *r
		}
	})
	if err != nil {
		return nil, err
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

// runTask starts a task on t's object and waits for it to end.
func (s *Session) runTask(ctx context.Context, t change.Target, start func(types.ManagedObjectReference) (*object.Task, error)) error {
	ref, err := targetRef(t)
	if err != nil {
		return err
	}
	task, err := start(ref)
	if err != nil {
		return err
	}
	return s.waitTask(ctx, task)
}

func (s *Session) reconfigureRules(ctx context.Context, t change.Target, spec types.ClusterRuleSpec) error {
	return s.runTask(ctx, t, func(ref types.ManagedObjectReference) (*object.Task, error) {
		return object.NewClusterComputeResource(s.client, ref).Reconfigure(ctx,
			&types.ClusterConfigSpecEx{RulesSpec: []types.ClusterRuleSpec{spec}}, true)
	})
}

func (s *Session) relocateVM(ctx context.Context, t change.Target, spec types.VirtualMachineRelocateSpec) error {
	return s.runTask(ctx, t, func(ref types.ManagedObjectReference) (*object.Task, error) {
		return object.NewVirtualMachine(s.client, ref).Relocate(ctx, spec, types.VirtualMachineMovePriorityDefaultPriority)
	})
}

func (s *Session) editDevice(ctx context.Context, t change.Target, dev types.BaseVirtualDevice) error {
	return s.runTask(ctx, t, func(ref types.ManagedObjectReference) (*object.Task, error) {
		return object.NewVirtualMachine(s.client, ref).Reconfigure(ctx, types.VirtualMachineConfigSpec{
			DeviceChange: []types.BaseVirtualDeviceConfigSpec{&types.VirtualDeviceConfigSpec{
				Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: dev,
			}},
		})
	})
}
