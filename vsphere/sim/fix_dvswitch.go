package sim

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// StrictDVSwitch is vcsim's distributed switch made to take a default
// port policy as vCenter does: vcsim's ReconfigureDvs_Task changes host
// membership only and drops the rest of the spec. A spec without host
// changes is checked against the switch's configVersion (another one
// fails with ConcurrentAccess), its DefaultPortConfig stored whole, and
// the version bumped; a spec that adds or removes hosts is vcsim's. Like
// StrictDVPortgroup it only answers clients' calls
// (dispatchStrictDVPortgroups).
type StrictDVSwitch struct {
	*simulator.DistributedVirtualSwitch
}

// ReconfigureDvsTask applies a default port policy, or hands host
// membership to vcsim.
func (s *StrictDVSwitch) ReconfigureDvsTask(ctx *simulator.Context, req *types.ReconfigureDvs_Task) soap.HasFault {
	spec := req.Spec.GetDVSConfigSpec()
	if len(spec.Host) > 0 {
		return s.DistributedVirtualSwitch.ReconfigureDvsTask(ctx, req)
	}
	task := simulator.CreateTask(s, "reconfigureDvs", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		cfg := s.Config.GetDVSConfigInfo()
		if spec.ConfigVersion != cfg.ConfigVersion {
			return nil, &types.ConcurrentAccess{}
		}
		if spec.DefaultPortConfig != nil {
			cfg.DefaultPortConfig = spec.DefaultPortConfig
		}
		if spec.Description != "" {
			cfg.Description = spec.Description
		}
		n, err := strconv.Atoi(cfg.ConfigVersion)
		if err != nil {
			n = 0
		}
		cfg.ConfigVersion = strconv.Itoa(n + 1)
		return nil, nil
	})
	return &methods.ReconfigureDvs_TaskBody{
		Res: &types.ReconfigureDvs_TaskResponse{Returnval: task.Run(ctx)},
	}
}

// seedSwitches numbers every distributed switch's configuration as
// vCenter does ("1" when unset), and makes its uplink portgroup (vcsim
// adds one, SWITCH-DVUplinks-N, for the hosts' physical NICs) look as
// vCenter's: named in the switch's config.uplinkPortgroup, its own
// config.uplink set, and its security and MAC management policies
// reported as inherited from the switch, where vcsim reports none.
func seedSwitches(ctx *simulator.Context) {
	for _, ref := range ctx.Map.All("DistributedVirtualSwitch") {
		sw, ok := ref.(*simulator.DistributedVirtualSwitch)
		if !ok {
			continue
		}
		var uplinks []*simulator.DistributedVirtualPortgroup
		ctx.WithLock(sw, func() {
			cfg := sw.Config.GetDVSConfigInfo()
			if cfg.ConfigVersion == "" {
				cfg.ConfigVersion = "1"
			}
			for _, pgRef := range sw.Portgroup {
				pg, ok := ctx.Map.Get(pgRef).(*simulator.DistributedVirtualPortgroup)
				if !ok || !strings.HasPrefix(pg.Name, sw.Name+"-DVUplinks") {
					continue
				}
				uplinks = append(uplinks, pg)
				if !slices.Contains(cfg.UplinkPortgroup, pgRef) {
					cfg.UplinkPortgroup = append(cfg.UplinkPortgroup, pgRef)
				}
			}
		})
		var policy *types.VMwareDVSPortSetting
		ctx.WithLock(sw, func() {
			policy, _ = sw.Config.GetDVSConfigInfo().DefaultPortConfig.(*types.VMwareDVSPortSetting)
		})
		for _, pg := range uplinks {
			ctx.WithLock(pg, func() {
				pg.Config.Uplink = types.NewBool(true)
				inheritSwitchPolicy(pg, policy)
			})
		}
	}
}

// inheritSwitchPolicy gives pg the switch's security and MAC management
// policies, marked inherited, where it reports none of its own.
func inheritSwitchPolicy(pg *simulator.DistributedVirtualPortgroup, sw *types.VMwareDVSPortSetting) {
	port, ok := pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
	if !ok || sw == nil {
		return
	}
	if port.SecurityPolicy == nil && sw.SecurityPolicy != nil {
		sec := *sw.SecurityPolicy
		sec.Inherited = true
		port.SecurityPolicy = &sec
	}
	if port.MacManagementPolicy == nil && sw.MacManagementPolicy != nil {
		mm := *sw.MacManagementPolicy
		mm.Inherited = true
		port.MacManagementPolicy = &mm
	}
}
