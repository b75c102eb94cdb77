package sim

import (
	"fmt"
	"math"
	"reflect"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// OptionReversePathFwdCheckPromisc is the host advanced option that makes
// ESXi drop the copies of a VM's own multicast that a teamed vSwitch in
// promiscuous mode reflects back to it. ESXi reports it as a long, 0 or 1.
const OptionReversePathFwdCheckPromisc = "Net.ReversePathFwdCheckPromisc"

// HostOptionManager is vcsim's per-host advanced-option manager made strict
// like ESXi's: UpdateOptions changes existing options only (InvalidName
// for an unknown key, where vcsim would create it), the value must keep
// the option's type (InvalidArgument for an int where ESXi wants a long),
// and Net.ReversePathFwdCheckPromisc accepts 0 or 1 only. Updates hold the
// host's lock: the settings are also the host's config.option, which the
// PropertyCollector reads under that lock.
type HostOptionManager struct {
	*simulator.OptionManager
	host types.ManagedObjectReference
}

// newHostOptionManager wraps om, the manager of host, and lists each
// option it holds in supportedOption with its type (its default the value
// it starts with), as ESXi does: clients
// (Ansible's vmware_host_config_manager) refuse an option not listed.
func newHostOptionManager(om *simulator.OptionManager, host types.ManagedObjectReference) *HostOptionManager {
	om.SupportedOption = nil
	for _, o := range om.Setting {
		v := o.GetOptionValue()
		om.SupportedOption = append(om.SupportedOption, types.OptionDef{
			ElementDescription: types.ElementDescription{Key: v.Key, Description: types.Description{Label: v.Key, Summary: v.Key}},
			OptionType:         optionType(v),
		})
	}
	return &HostOptionManager{OptionManager: om, host: host}
}

// optionType is the type ESXi declares for an option of v's value.
func optionType(v *types.OptionValue) types.BaseOptionType {
	switch val := v.Value.(type) {
	case int64:
		r, ok := optionRanges[v.Key]
		if !ok {
			r = [2]int64{math.MinInt64, math.MaxInt64}
		}
		return &types.LongOption{Min: r[0], Max: r[1], DefaultValue: val}
	case int32:
		return &types.IntOption{Min: math.MinInt32, Max: math.MaxInt32, DefaultValue: val}
	case bool:
		return &types.BoolOption{DefaultValue: val}
	case float32:
		return &types.FloatOption{Min: -math.MaxFloat32, Max: math.MaxFloat32, DefaultValue: val}
	case string:
		return &types.StringOption{DefaultValue: val}
	}
	return &types.StringOption{}
}

// optionRanges bounds integer options carpvm sets.
var optionRanges = map[string][2]int64{
	OptionReversePathFwdCheckPromisc: {0, 1},
}

func (m *HostOptionManager) current(key string) (types.BaseOptionValue, bool) {
	for _, o := range m.Setting {
		if o.GetOptionValue().Key == key {
			return o, true
		}
	}
	return nil, false
}

// UpdateOptions validates every change, then applies them all or none.
func (m *HostOptionManager) UpdateOptions(ctx *simulator.Context, req *types.UpdateOptions) soap.HasFault {
	var res soap.HasFault
	ctx.WithLock(m.host, func() { res = m.updateOptions(req) })
	return res
}

func (m *HostOptionManager) updateOptions(req *types.UpdateOptions) soap.HasFault {
	for _, change := range req.ChangedValue {
		ch := change.GetOptionValue()
		cur, ok := m.current(ch.Key)
		if !ok {
			return &methods.UpdateOptionsBody{Fault_: simulator.Fault(
				fmt.Sprintf("A specified parameter was not correct: %s is not a valid option name", ch.Key),
				&types.InvalidName{Name: ch.Key})}
		}
		want := reflect.TypeOf(cur.GetOptionValue().Value)
		if got := reflect.TypeOf(ch.Value); want != nil && got != want {
			return &methods.UpdateOptionsBody{Fault_: simulator.Fault(
				fmt.Sprintf("A specified parameter was not correct: %s wants a value of type %s, got %v", ch.Key, xsdType(want), got),
				&types.InvalidArgument{InvalidProperty: ch.Key})}
		}
		if r, ok := optionRanges[ch.Key]; ok {
			if v, _ := ch.Value.(int64); v < r[0] || v > r[1] {
				return &methods.UpdateOptionsBody{Fault_: simulator.Fault(
					fmt.Sprintf("A specified parameter was not correct: %s must be between %d and %d", ch.Key, r[0], r[1]),
					&types.InvalidArgument{InvalidProperty: ch.Key})}
			}
		}
	}
	return m.OptionManager.UpdateOptions(req)
}

func xsdType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int64:
		return "long"
	case reflect.Int32:
		return "int"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	}
	return t.String()
}
