package sim

import (
	"fmt"
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
// spec leaves unset keep their values (vcsim would blank them); a
// DefaultPortConfig sent is stored whole.
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
			cfg.DefaultPortConfig = s.DefaultPortConfig
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

// strictDVPortgroups registers StrictDVPortgroup in place of every distributed
// portgroup of the model, seeding a missing configVersion with "1".
func strictDVPortgroups(ctx *simulator.Context) error {
	for _, ref := range ctx.Map.All("DistributedVirtualPortgroup") {
		if _, done := ref.(*StrictDVPortgroup); done {
			continue
		}
		pg, ok := ref.(*simulator.DistributedVirtualPortgroup)
		if !ok {
			return fmt.Errorf("sim: distributed portgroup %v is %T", ref.Reference(), ref)
		}
		if pg.Config.ConfigVersion == "" {
			pg.Config.ConfigVersion = "1"
		}
		ctx.Map.Put(&StrictDVPortgroup{DistributedVirtualPortgroup: pg})
	}
	return nil
}
