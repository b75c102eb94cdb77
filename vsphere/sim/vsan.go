package sim

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// HostVsanSystem is a host's vSAN service as on an ESXi host outside a
// vSAN cluster: vSAN disabled, and QueryHostStatus answering health
// unknown, node disabled, no cluster. vcsim's hosts all name one
// HostVsanSystem:vsanSystem that does not exist, so a client that asks it
// (Ansible's vmware_host_facts) fails with ManagedObjectNotFound.
type HostVsanSystem struct {
	mo.HostVsanSystem
}

// QueryHostStatus is the host's vSAN cluster membership: none.
func (s *HostVsanSystem) QueryHostStatus(*simulator.Context, *types.QueryHostStatus) soap.HasFault {
	return &methods.QueryHostStatusBody{Res: &types.QueryHostStatusResponse{Returnval: types.VsanHostClusterStatus{
		Health:    string(types.VsanHostHealthStateUnknown),
		NodeState: types.VsanHostClusterStatusState{State: string(types.VsanHostNodeStateDisabled)},
	}}}
}

// addVsanSystem gives hs a HostVsanSystem of its own. The caller holds
// hs's lock.
func addVsanSystem(m *simulator.Registry, hs *simulator.HostSystem) {
	vs := &HostVsanSystem{}
	vs.Config = types.VsanHostConfigInfo{Enabled: types.NewBool(false), HostSystem: &hs.Self}
	ref := m.Put(vs).Reference()
	hs.ConfigManager.VsanSystem = &ref
}
