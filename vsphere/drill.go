package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The drill operations: disconnect and reconnect a router VM's
// NIC on a portgroup, power it off and on. They take the VM's and the
// portgroup's names, as carpvm.yaml does, and change nothing else. Each
// re-reads before it writes (a no-op when the VM is already so), and its
// reads and task waits carry on across a re-login (readAcrossRelogin).

// NICState is a router NIC as a drill sees it.
type NICState struct {
	VM, Portgroup string
	Label         string // e.g. "Network adapter 1"
	MAC           string
	Connected     bool
	// StartConnected is whether the NIC connects at power-on.
	StartConnected bool
}

// NIC returns vm's NIC on portgroup (standard or distributed).
func (s *Session) NIC(ctx context.Context, vm, portgroup string) (NICState, error) {
	_, card, err := s.nicOf(ctx, vm, portgroup)
	if err != nil {
		return NICState{}, err
	}
	return nicState(vm, portgroup, card), nil
}

// nicOf reads vm and its NIC on portgroup, again in the new session when
// the session was renewed meanwhile (the read's container view ends with
// the old one).
func (s *Session) nicOf(ctx context.Context, vm, portgroup string) (*mo.VirtualMachine, types.BaseVirtualEthernetCard, error) {
	type found struct {
		v    *mo.VirtualMachine
		card types.BaseVirtualEthernetCard
	}
	f, err := readAcrossRelogin(s, func() (found, error) {
		v, err := findVM(ctx, s.client, vm, "config.hardware.device")
		if err != nil {
			return found{}, err
		}
		card, err := nicOn(ctx, s.client, v, portgroup)
		return found{v, card}, err
	})
	return f.v, f.card, err
}

// findVM is findVM in s, across a re-login.
func (s *Session) findVM(ctx context.Context, name string, props ...string) (*mo.VirtualMachine, error) {
	return readAcrossRelogin(s, func() (*mo.VirtualMachine, error) { return findVM(ctx, s.client, name, props...) })
}

// SetNICConnected connects or disconnects vm's NIC on portgroup with one
// ReconfigVM_Task that edits only the device's Connectable.Connected.
// It is a no-op when the NIC is already in that state.
func (s *Session) SetNICConnected(ctx context.Context, vm, portgroup string, connected bool) error {
	op := fmt.Sprintf("set %s's NIC on %s connected=%t", vm, portgroup, connected)
	v, card, err := s.nicOf(ctx, vm, portgroup)
	if err != nil {
		return err
	}
	eth := card.GetVirtualEthernetCard()
	if eth.Connectable == nil {
		eth.Connectable = &types.VirtualDeviceConnectInfo{}
	}
	if eth.Connectable.Connected == connected {
		return nil
	}
	eth.Connectable.Connected = connected
	task, err := object.NewVirtualMachine(s.client, v.Reference()).Reconfigure(ctx, types.VirtualMachineConfigSpec{
		DeviceChange: []types.BaseVirtualDeviceConfigSpec{&types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: card.(types.BaseVirtualDevice),
		}},
	})
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	if err := s.waitTask(ctx, task); err != nil {
		return &Error{Op: op, Err: err}
	}
	return nil
}

// PowerOff powers vm off hard (no guest shutdown), as a host failure
// would; a VM already off is left alone.
func (s *Session) PowerOff(ctx context.Context, vm string) error {
	return s.setPower(ctx, vm, types.VirtualMachinePowerStatePoweredOff)
}

// PowerOn powers vm on; a VM already on is left alone.
func (s *Session) PowerOn(ctx context.Context, vm string) error {
	return s.setPower(ctx, vm, types.VirtualMachinePowerStatePoweredOn)
}

// NICConnected says whether vm's NIC on portgroup is connected: what a
// drill reads back after disconnecting or reconnecting it.
func (s *Session) NICConnected(ctx context.Context, vm, portgroup string) (bool, error) {
	nic, err := s.NIC(ctx, vm, portgroup)
	return nic.Connected, err
}

// PowerState returns vm's power state ("poweredOn", "poweredOff", ...).
func (s *Session) PowerState(ctx context.Context, vm string) (string, error) {
	v, err := s.findVM(ctx, vm, "runtime.powerState")
	if err != nil {
		return "", err
	}
	return string(v.Runtime.PowerState), nil
}

func (s *Session) setPower(ctx context.Context, vm string, want types.VirtualMachinePowerState) error {
	v, err := s.findVM(ctx, vm, "runtime.powerState")
	if err != nil {
		return err
	}
	if v.Runtime.PowerState == want {
		return nil
	}
	obj := object.NewVirtualMachine(s.client, v.Reference())
	var task *object.Task
	if want == types.VirtualMachinePowerStatePoweredOn {
		task, err = obj.PowerOn(ctx)
	} else {
		task, err = obj.PowerOff(ctx)
	}
	op := fmt.Sprintf("power %s %s", vm, want)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	if err := s.waitTask(ctx, task); err != nil {
		return &Error{Op: op, Err: err}
	}
	return nil
}

// findVM finds the VM named name (exactly one) with the given properties.
func findVM(ctx context.Context, c *vim25.Client, name string, props ...string) (*mo.VirtualMachine, error) {
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, &Error{Op: "find VM " + name, Err: err}
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	refs, err := v.Find(ctx, []string{"VirtualMachine"}, property.Match{"name": name})
	if err != nil {
		return nil, &Error{Op: "find VM " + name, Err: err}
	}
	var vms []mo.VirtualMachine
	if len(refs) > 0 {
		if err := property.DefaultCollector(c).Retrieve(ctx, refs, append([]string{"name"}, props...), &vms); err != nil {
			return nil, &Error{Op: "read VM " + name, Err: err}
		}
	}
	switch len(vms) {
	case 0:
		return nil, fmt.Errorf("vsphere: no VM named %q", name)
	case 1:
		return &vms[0], nil
	}
	return nil, fmt.Errorf("vsphere: %d VMs are named %q; name the router VMs uniquely", len(vms), name)
}

// nicOn returns the VM's one Ethernet card on portgroup.
func nicOn(ctx context.Context, c *vim25.Client, v *mo.VirtualMachine, portgroup string) (types.BaseVirtualEthernetCard, error) {
	if v.Config == nil {
		return nil, fmt.Errorf("vsphere: VM %s has no configuration (inaccessible?)", v.Name)
	}
	var dvKeys map[string]string // portgroup key -> name, read once when needed
	var found []types.BaseVirtualEthernetCard
	for _, d := range v.Config.Hardware.Device {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		switch b := card.GetVirtualEthernetCard().Backing.(type) {
		case *types.VirtualEthernetCardNetworkBackingInfo:
			if b.DeviceName == portgroup {
				found = append(found, card)
			}
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			if dvKeys == nil {
				var err error
				if dvKeys, err = dvPortgroupNames(ctx, c); err != nil {
					return nil, err
				}
			}
			if dvKeys[b.Port.PortgroupKey] == portgroup {
				found = append(found, card)
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("vsphere: VM %s has no NIC on portgroup %q", v.Name, portgroup)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("vsphere: VM %s has %d NICs on portgroup %q; a drill needs exactly one", v.Name, len(found), portgroup)
}

func dvPortgroupNames(ctx context.Context, c *vim25.Client) (map[string]string, error) {
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"DistributedVirtualPortgroup"}, true)
	if err != nil {
		return nil, &Error{Op: "list distributed portgroups", Err: err}
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var pgs []mo.DistributedVirtualPortgroup
	if err := v.Retrieve(ctx, []string{"DistributedVirtualPortgroup"}, []string{"name", "key"}, &pgs); err != nil {
		return nil, &Error{Op: "list distributed portgroups", Err: err}
	}
	out := make(map[string]string, len(pgs))
	for _, pg := range pgs {
		out[pg.Key] = pg.Name
	}
	return out, nil
}

func nicState(vm, portgroup string, card types.BaseVirtualEthernetCard) NICState {
	eth := card.GetVirtualEthernetCard()
	st := NICState{VM: vm, Portgroup: portgroup, MAC: eth.MacAddress}
	if eth.DeviceInfo != nil {
		st.Label = eth.DeviceInfo.GetDescription().Label
	}
	if eth.Connectable != nil {
		st.Connected, st.StartConnected = eth.Connectable.Connected, eth.Connectable.StartConnected
	}
	return st
}
