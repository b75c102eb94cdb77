package sim

import (
	"errors"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// dispatchStrictDVPortgroups makes clients' calls to any distributed
// portgroup (also one a client creates later) go to its StrictDVPortgroup,
// and to a distributed switch to its StrictDVSwitch.
//
// The portgroup itself stays vcsim's in vcsim's registry, unlike carpvm's
// host extensions (HostNetworkSystem, HostOptionManager), which replace
// vcsim's objects there (vcsim asserts the option manager's type only for
// container-backed hosts, which no topology has): vcsim type-asserts its
// distributed portgroups
// (a switch's FetchDVPorts and host membership, DVSManagerLookupDvPortGroup),
// and with a StrictDVPortgroup in the registry FetchDVPorts (govc
// dvs.portgroup.info) panicked while holding the switch's lock, so that
// every later call to the switch hung.
//
// vcsim dispatches a call to the object its caller's session holds under
// that reference, else to its registry's; the registry's Handler hook runs
// first, where the portgroup's StrictDVPortgroup is put in the caller's
// session. Only sessions of a logged-in user get it: vcsim's in-process
// client (which builds the inventory) shares one session, without a user,
// across every simulator in the process.
func dispatchStrictDVPortgroups(r *simulator.Registry) error {
	if r.Handler != nil {
		return errors.New("sim: vcsim's registry already has a method handler")
	}
	r.Handler = strictDVPortgroupHandler
	return nil
}

// strictDVPortgroupHandler puts the StrictDVPortgroup of the portgroup
// called (the StrictDVSwitch of a switch) into the caller's session, and
// takes a portgroup's out again once the portgroup is gone, so that the
// call fails with ManagedObjectNotFound as it would on vCenter.
func strictDVPortgroupHandler(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	s := ctx.Session
	if s != nil && s.UserName == "" {
		s = nil
	}
	if sw, ok := ctx.Map.Get(m.This).(*simulator.DistributedVirtualSwitch); ok {
		strict := &StrictDVSwitch{DistributedVirtualSwitch: sw}
		if s != nil {
			s.Put(strict)
		}
		return strict, nil
	}
	pg, ok := ctx.Map.Get(m.This).(*simulator.DistributedVirtualPortgroup)
	if !ok {
		if s != nil {
			if _, stale := s.Registry.Get(m.This).(*StrictDVPortgroup); stale {
				s.Registry.Remove(ctx, m.This)
			}
		}
		return nil, nil
	}
	strict := &StrictDVPortgroup{DistributedVirtualPortgroup: pg}
	if s != nil {
		s.Put(strict)
	}
	return strict, nil
}
