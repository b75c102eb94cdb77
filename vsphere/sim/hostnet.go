package sim

import (
	"fmt"
	"slices"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// HostNetworkSystem is vcsim's HostNetworkSystem with the vSwitch and
// portgroup methods carpvm relies on made to behave as on ESXi:
//   - AddVirtualSwitch and UpdateVirtualSwitch store the whole spec
//     (bridge, policy, MTU); a vSwitch's unset policy fields take ESXi's
//     defaults, as it has nothing to inherit from.
//   - AddPortGroup and UpdatePortGroup store the whole portgroup spec: a
//     field left out of an update is gone, not kept.
//   - Every change recomputes each affected portgroup's ComputedPolicy
//     (portgroup fields override, nil fields inherit from the vSwitch).
//   - Faults as ESXi returns them: NotFound for an unknown vSwitch,
//     portgroup or physical NIC, AlreadyExists for a name clash (adding or
//     renaming), ResourceInUse for a NIC bonded elsewhere or a portgroup
//     with VMs, InvalidArgument for a bad VLAN or NIC order.
//   - Portgroups of the same name on several hosts share one Network
//     object, as in vCenter (vcsim refuses the second one).
//
// Its NetworkInfo is the host's config.network itself, so both properties
// always agree.
type HostNetworkSystem struct {
	*simulator.HostNetworkSystem
	host types.ManagedObjectReference
}

func notFound(what string) *soap.Fault {
	return simulator.Fault(fmt.Sprintf("The object or item referred to could not be found: %s", what), &types.NotFound{})
}

func alreadyExists(name string) *soap.Fault {
	return simulator.Fault(fmt.Sprintf("The specified key, name, or identifier '%s' already exists.", name), &types.AlreadyExists{Name: name})
}

func invalidArgument(prop string) *soap.Fault {
	return simulator.Fault("A specified parameter was not correct: "+prop, &types.InvalidArgument{InvalidProperty: prop})
}

func resourceInUse(kind, name string) *soap.Fault {
	return simulator.Fault(fmt.Sprintf("The resource '%s' is in use.", name), &types.ResourceInUse{Type: kind, Name: name})
}

func vswitchKey(name string) string   { return "key-vim.host.VirtualSwitch-" + name }
func portgroupKey(name string) string { return "key-vim.host.PortGroup-" + name }
func pnicKey(name string) string      { return "key-vim.host.PhysicalNic-" + name }

// locked runs f holding the host's lock: NetworkInfo is the host's
// config.network, which the PropertyCollector reads under that lock.
func (s *HostNetworkSystem) locked(ctx *simulator.Context, f func()) {
	ctx.WithLock(s.host, f)
}

func (s *HostNetworkSystem) vswitch(name string) *types.HostVirtualSwitch {
	for i := range s.NetworkInfo.Vswitch {
		if s.NetworkInfo.Vswitch[i].Name == name {
			return &s.NetworkInfo.Vswitch[i]
		}
	}
	return nil
}

func (s *HostNetworkSystem) portgroup(name string) *types.HostPortGroup {
	for i := range s.NetworkInfo.Portgroup {
		if s.NetworkInfo.Portgroup[i].Spec.Name == name {
			return &s.NetworkInfo.Portgroup[i]
		}
	}
	return nil
}

// bridgeNICs validates a vSwitch spec's bridge for vSwitch name and returns
// the bonded NIC names.
func (s *HostNetworkSystem) bridgeNICs(name string, spec *types.HostVirtualSwitchSpec) ([]string, *soap.Fault) {
	var nics []string
	switch b := spec.Bridge.(type) {
	case nil:
	case *types.HostVirtualSwitchBondBridge:
		nics = b.NicDevice
	case *types.HostVirtualSwitchSimpleBridge:
		nics = []string{b.NicDevice}
	default:
		return nil, simulator.Fault(fmt.Sprintf("bridge type %T is not supported", b), &types.NotSupported{})
	}
	for _, nic := range nics {
		if !slices.ContainsFunc(s.Host.Config.Network.Pnic, func(p types.PhysicalNic) bool { return p.Device == nic }) {
			return nil, notFound("physical NIC " + nic)
		}
		for _, vs := range s.NetworkInfo.Vswitch {
			if vs.Name != name && slices.Contains(vs.Pnic, pnicKey(nic)) {
				return nil, resourceInUse("PhysicalNic", nic)
			}
		}
	}
	if p := spec.Policy; p != nil && p.NicTeaming != nil && p.NicTeaming.NicOrder != nil {
		o := p.NicTeaming.NicOrder
		for _, nic := range append(append([]string(nil), o.ActiveNic...), o.StandbyNic...) {
			if !slices.Contains(nics, nic) {
				return nil, invalidArgument("spec.policy.nicTeaming.nicOrder")
			}
		}
	}
	return nics, nil
}

// setVSwitchSpec stores spec whole on vs and recomputes its portgroups.
func (s *HostNetworkSystem) setVSwitchSpec(vs *types.HostVirtualSwitch, spec types.HostVirtualSwitchSpec, nics []string) {
	spec.Policy = vswitchPolicy(spec.Policy, nics)
	if spec.NumPorts == 0 {
		spec.NumPorts = 128
	}
	vs.Spec = spec
	vs.NumPorts = spec.NumPorts
	vs.NumPortsAvailable = spec.NumPorts - int32(len(vs.Portgroup))
	vs.Mtu = spec.Mtu
	if vs.Mtu == 0 {
		vs.Mtu = 1500
	}
	vs.Pnic = nil
	for _, nic := range nics {
		vs.Pnic = append(vs.Pnic, pnicKey(nic))
	}
	for i := range s.NetworkInfo.Portgroup {
		if pg := &s.NetworkInfo.Portgroup[i]; pg.Vswitch == vs.Key {
			pg.ComputedPolicy = computePolicy(*vs.Spec.Policy, pg.Spec.Policy)
		}
	}
}

// AddVirtualSwitch adds a standard vSwitch with the whole spec.
func (s *HostNetworkSystem) AddVirtualSwitch(ctx *simulator.Context, req *types.AddVirtualSwitch) soap.HasFault {
	body := &methods.AddVirtualSwitchBody{}
	if req.VswitchName == "" {
		body.Fault_ = invalidArgument("vswitchName")
		return body
	}
	spec := types.HostVirtualSwitchSpec{NumPorts: 128}
	if req.Spec != nil {
		spec = *req.Spec
	}
	s.locked(ctx, func() {
		if s.vswitch(req.VswitchName) != nil {
			body.Fault_ = alreadyExists(req.VswitchName)
			return
		}
		nics, fault := s.bridgeNICs(req.VswitchName, &spec)
		if fault != nil {
			body.Fault_ = fault
			return
		}
		s.NetworkInfo.Vswitch = append(s.NetworkInfo.Vswitch, types.HostVirtualSwitch{
			Name: req.VswitchName, Key: vswitchKey(req.VswitchName),
		})
		s.setVSwitchSpec(&s.NetworkInfo.Vswitch[len(s.NetworkInfo.Vswitch)-1], spec, nics)
		body.Res = &types.AddVirtualSwitchResponse{}
	})
	return body
}

// UpdateVirtualSwitch replaces a vSwitch's spec and recomputes the
// ComputedPolicy of every portgroup on it.
func (s *HostNetworkSystem) UpdateVirtualSwitch(ctx *simulator.Context, req *types.UpdateVirtualSwitch) soap.HasFault {
	body := &methods.UpdateVirtualSwitchBody{}
	s.locked(ctx, func() {
		vs := s.vswitch(req.VswitchName)
		if vs == nil {
			body.Fault_ = notFound("vSwitch " + req.VswitchName)
			return
		}
		nics, fault := s.bridgeNICs(req.VswitchName, &req.Spec)
		if fault != nil {
			body.Fault_ = fault
			return
		}
		s.setVSwitchSpec(vs, req.Spec, nics)
		body.Res = &types.UpdateVirtualSwitchResponse{}
	})
	if body.Fault_ == nil {
		recordHostTask(ctx, s.host, "host.NetworkSystem.updateVirtualSwitch", "UpdateVirtualSwitch")
	}
	return body
}

// RemoveVirtualSwitch removes a vSwitch and its portgroups, refusing when a
// VM on this host uses one of them.
func (s *HostNetworkSystem) RemoveVirtualSwitch(ctx *simulator.Context, req *types.RemoveVirtualSwitch) soap.HasFault {
	body := &methods.RemoveVirtualSwitchBody{}
	var removed []string
	s.locked(ctx, func() {
		vs := s.vswitch(req.VswitchName)
		if vs == nil {
			body.Fault_ = notFound("vSwitch " + req.VswitchName)
			return
		}
		for _, pg := range s.NetworkInfo.Portgroup {
			if pg.Vswitch == vs.Key && s.inUse(ctx, pg.Spec.Name) {
				body.Fault_ = resourceInUse("Network", pg.Spec.Name)
				return
			}
		}
		pgs := s.NetworkInfo.Portgroup[:0]
		for _, pg := range s.NetworkInfo.Portgroup {
			if pg.Vswitch == vs.Key {
				removed = append(removed, pg.Spec.Name)
				continue
			}
			pgs = append(pgs, pg)
		}
		s.NetworkInfo.Portgroup = pgs
		s.NetworkInfo.Vswitch = slices.DeleteFunc(s.NetworkInfo.Vswitch, func(v types.HostVirtualSwitch) bool { return v.Name == req.VswitchName })
		body.Res = &types.RemoveVirtualSwitchResponse{}
	})
	for _, name := range removed {
		detachNetwork(ctx, s.host, name)
	}
	return body
}

// AddPortGroup adds a portgroup with the whole spec.
func (s *HostNetworkSystem) AddPortGroup(ctx *simulator.Context, req *types.AddPortGroup) soap.HasFault {
	body := &methods.AddPortGroupBody{}
	spec := req.Portgrp
	if fault := validPortgroupSpec(spec); fault != nil {
		body.Fault_ = fault
		return body
	}
	s.locked(ctx, func() {
		if s.portgroup(spec.Name) != nil {
			body.Fault_ = alreadyExists(spec.Name)
			return
		}
		vs := s.vswitch(spec.VswitchName)
		if vs == nil {
			body.Fault_ = notFound("vSwitch " + spec.VswitchName)
			return
		}
		s.NetworkInfo.Portgroup = append(s.NetworkInfo.Portgroup, types.HostPortGroup{
			Key:            portgroupKey(spec.Name),
			Vswitch:        vs.Key,
			Spec:           spec,
			ComputedPolicy: computePolicy(*vs.Spec.Policy, spec.Policy),
		})
		vs.Portgroup = append(vs.Portgroup, portgroupKey(spec.Name))
		vs.NumPortsAvailable--
		body.Res = &types.AddPortGroupResponse{}
	})
	if body.Fault_ == nil {
		attachNetwork(ctx, s.host, spec.Name)
	}
	return body
}

// UpdatePortGroup replaces the spec of portgroup PgName with Portgrp, whole:
// security, teaming, shaping and VLAN not given are reset, not kept. It may
// rename the portgroup or move it to another vSwitch.
func (s *HostNetworkSystem) UpdatePortGroup(ctx *simulator.Context, req *types.UpdatePortGroup) soap.HasFault {
	body := &methods.UpdatePortGroupBody{}
	spec := req.Portgrp
	if fault := validPortgroupSpec(spec); fault != nil {
		body.Fault_ = fault
		return body
	}
	s.locked(ctx, func() {
		pg := s.portgroup(req.PgName)
		if pg == nil {
			body.Fault_ = notFound("portgroup " + req.PgName)
			return
		}
		if spec.Name != req.PgName && s.portgroup(spec.Name) != nil {
			body.Fault_ = alreadyExists(spec.Name)
			return
		}
		vs := s.vswitch(spec.VswitchName)
		if vs == nil {
			body.Fault_ = notFound("vSwitch " + spec.VswitchName)
			return
		}
		oldKey := pg.Key
		for i := range s.NetworkInfo.Vswitch {
			o := &s.NetworkInfo.Vswitch[i]
			if j := slices.Index(o.Portgroup, oldKey); j >= 0 {
				o.Portgroup = slices.Delete(o.Portgroup, j, j+1)
				o.NumPortsAvailable++
			}
		}
		pg.Key = portgroupKey(spec.Name)
		pg.Vswitch = vs.Key
		pg.Spec = spec
		pg.ComputedPolicy = computePolicy(*vs.Spec.Policy, spec.Policy)
		vs.Portgroup = append(vs.Portgroup, pg.Key)
		vs.NumPortsAvailable--
		body.Res = &types.UpdatePortGroupResponse{}
	})
	if body.Fault_ == nil && spec.Name != req.PgName {
		detachNetwork(ctx, s.host, req.PgName)
		attachNetwork(ctx, s.host, spec.Name)
	}
	if body.Fault_ == nil {
		recordHostTask(ctx, s.host, "host.NetworkSystem.updatePortGroup", "UpdatePortGroup")
	}
	return body
}

// RemovePortGroup removes a portgroup, refusing when a VM on this host uses it.
func (s *HostNetworkSystem) RemovePortGroup(ctx *simulator.Context, req *types.RemovePortGroup) soap.HasFault {
	body := &methods.RemovePortGroupBody{}
	s.locked(ctx, func() {
		pg := s.portgroup(req.PgName)
		if pg == nil {
			body.Fault_ = notFound("portgroup " + req.PgName)
			return
		}
		if s.inUse(ctx, req.PgName) {
			body.Fault_ = resourceInUse("Network", req.PgName)
			return
		}
		key := pg.Key
		for i := range s.NetworkInfo.Vswitch {
			o := &s.NetworkInfo.Vswitch[i]
			if j := slices.Index(o.Portgroup, key); j >= 0 {
				o.Portgroup = slices.Delete(o.Portgroup, j, j+1)
				o.NumPortsAvailable++
			}
		}
		s.NetworkInfo.Portgroup = slices.DeleteFunc(s.NetworkInfo.Portgroup, func(p types.HostPortGroup) bool { return p.Key == key })
		body.Res = &types.RemovePortGroupResponse{}
	})
	if body.Fault_ == nil {
		detachNetwork(ctx, s.host, req.PgName)
	}
	return body
}

// inUse reports whether a VM on this host has a NIC on the network named name.
func (s *HostNetworkSystem) inUse(ctx *simulator.Context, name string) bool {
	for _, ref := range s.Host.Vm {
		vm, ok := ctx.Map.Get(ref).(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		for _, n := range vm.Network {
			if e, ok := ctx.Map.Get(n).(*mo.Network); ok && e.Name == name {
				return true
			}
		}
	}
	return false
}

func validPortgroupSpec(spec types.HostPortGroupSpec) *soap.Fault {
	switch {
	case spec.Name == "":
		return invalidArgument("portgrp.name")
	case spec.VlanId < 0 || spec.VlanId > 4095:
		return invalidArgument("portgrp.vlanId")
	case spec.VswitchName == "":
		return invalidArgument("portgrp.vswitchName")
	}
	return nil
}
