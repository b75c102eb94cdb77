package sim

import (
	"reflect"
	"strconv"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// StrictDVPortgroup is vcsim's distributed portgroup made to honour
// configVersion as vCenter does: ReconfigureDVPortgroup_Task with a
// configVersion other than the portgroup's current one fails with
// ConcurrentAccess, and a successful reconfiguration bumps it. Fields a
// spec leaves unset keep their values (vcsim would blank them), the
// policies of a DefaultPortConfig sent too (mergePortSetting). It is not
// in vcsim's registry (see dispatchStrictDVPortgroups): it only answers
// clients' calls.
type StrictDVPortgroup struct {
	*simulator.DistributedVirtualPortgroup
}

// ReconfigureDVPortgroupTask checks the spec's configVersion, then applies it.
func (p *StrictDVPortgroup) ReconfigureDVPortgroupTask(ctx *simulator.Context, req *types.ReconfigureDVPortgroup_Task) soap.HasFault {
	task := simulator.CreateTask(p, "reconfigureDvPortgroup", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		// The task runs holding the portgroup's lock, as vcsim's own does.
		cfg := &p.Config
		if req.Spec.ConfigVersion != cfg.ConfigVersion {
			return nil, &types.ConcurrentAccess{}
		}
		s := req.Spec
		if s.Name != "" {
			cfg.Name = s.Name
			p.Name = s.Name
		}
		if s.NumPorts != 0 {
			cfg.NumPorts = s.NumPorts
		}
		if s.Type != "" {
			cfg.Type = s.Type
		}
		if s.Description != "" {
			cfg.Description = s.Description
		}
		if s.AutoExpand != nil {
			cfg.AutoExpand = s.AutoExpand
		}
		if s.Policy != nil {
			cfg.Policy = s.Policy
		}
		if s.PortNameFormat != "" {
			cfg.PortNameFormat = s.PortNameFormat
		}
		if s.DefaultPortConfig != nil {
			cfg.DefaultPortConfig = mergePortSetting(cfg.DefaultPortConfig, s.DefaultPortConfig)
		}
		n, err := strconv.Atoi(cfg.ConfigVersion)
		if err != nil {
			n = 0
		}
		cfg.ConfigVersion = strconv.Itoa(n + 1)
		return nil, nil
	})
	return &methods.ReconfigureDVPortgroup_TaskBody{
		Res: &types.ReconfigureDVPortgroup_TaskResponse{Returnval: task.Run(ctx)},
	}
}

// seedConfigVersions gives every distributed portgroup of the model
// without a configVersion the first one, "1", as vCenter numbers them,
// and seeds the switches (seedSwitches).
func seedConfigVersions(ctx *simulator.Context) {
	defer seedSwitches(ctx)
	for _, ref := range ctx.Map.All("DistributedVirtualPortgroup") {
		if pg, ok := ref.(*simulator.DistributedVirtualPortgroup); ok {
			ctx.WithLock(pg, func() {
				if pg.Config.ConfigVersion == "" {
					pg.Config.ConfigVersion = "1"
				}
			})
		}
	}
}

// mergePortSetting is the port setting old with the policies set sets
// applied, as vCenter merges a reconfiguration's defaultPortConfig: a
// policy the spec leaves unset keeps its value, and so do the unset parts
// of its uplink teaming policy (Ansible's vmware_dvs_portgroup sends one
// without reversePolicy or failureCriteria) and of its MAC management
// policy (its MAC learning policy). Settings of other types are taken as
// sent.
func mergePortSetting(old, set types.BaseDVPortSetting) types.BaseDVPortSetting {
	o, ok1 := old.(*types.VMwareDVSPortSetting)
	n, ok2 := set.(*types.VMwareDVSPortSetting)
	if !ok1 || !ok2 {
		return set
	}
	merged := *n
	keepUnset(reflect.ValueOf(&merged).Elem(), reflect.ValueOf(o).Elem())
	if n.UplinkTeamingPolicy != nil && o.UplinkTeamingPolicy != nil {
		tp := *n.UplinkTeamingPolicy
		keepUnset(reflect.ValueOf(&tp).Elem(), reflect.ValueOf(o.UplinkTeamingPolicy).Elem())
		merged.UplinkTeamingPolicy = &tp
	}
	if n.MacManagementPolicy != nil && o.MacManagementPolicy != nil {
		mm := *n.MacManagementPolicy
		keepUnset(reflect.ValueOf(&mm).Elem(), reflect.ValueOf(o.MacManagementPolicy).Elem())
		merged.MacManagementPolicy = &mm
	}
	return &merged
}

// keepUnset sets each nil pointer or interface field of the struct dst
// (and of the structs it embeds) to old's.
func keepUnset(dst, old reflect.Value) {
	for i := range dst.NumField() {
		f := dst.Field(i)
		switch {
		case dst.Type().Field(i).Anonymous && f.Kind() == reflect.Struct:
			keepUnset(f, old.Field(i))
		case (f.Kind() == reflect.Pointer || f.Kind() == reflect.Interface) && f.IsNil() && f.CanSet():
			f.Set(old.Field(i))
		}
	}
}
