package sim

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Bulk VMs (VM.Bulk) are the filler of a large inventory. Created through
// the API, a VM costs vcsim about 5 ms of CPU (its defaults and devices
// deep-copied through XML, its files written, a power-on task, and the
// garbage of it all): 40,000 would take minutes. So only the first bulk VM
// of each shape is created that way; the others are copies of it
// registered in the simulator as vcsim registers a VM (folder, host,
// datastore and resource pool back-references), with their own name,
// UUIDs, MAC addresses, host, datastore and pool. A copy has no files on
// its datastore; everything a client reads of it is there.

// bulkShape is what makes two bulk VMs copies of each other: their NICs'
// networks and types, and their power state.
func bulkShape(vm VM) (string, bool) {
	if !vm.Bulk || vm.DiskGB > 0 {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "on=%v", vm.PoweredOn)
	for _, n := range vm.NICs {
		if n.MAC != "" || n.Disconnected {
			return "", false
		}
		fmt.Fprintf(&b, "|%s/%s", n.Network, n.Type)
	}
	return b.String(), true
}

// bulkMAC is the n-th generated address of the copies, in the range
// vCenter generates from (00:50:56:80:00:00-00:50:56:bf:ff:ff).
func bulkMAC(n int) string {
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", 0x80|(n>>16)&0x3f, (n>>8)&0xff, n&0xff)
}

// bulkUUID is a UUID unique to the n-th copy; kind tells the BIOS UUID
// from the instance UUID.
func bulkUUID(kind byte, n int) string {
	return fmt.Sprintf("4210%02x%02x-0000-4000-8000-%012x", kind, (n>>24)&0xff, n&0xffffffffff)
}

// copyVM registers a copy of the VM tmpl as spec, the n-th copy.
func (b *builder) copyVM(tmpl types.ManagedObjectReference, spec VM, n int) (types.ManagedObjectReference, error) {
	m := b.sctx.Map
	src, ok := m.Get(tmpl).(*simulator.VirtualMachine)
	if !ok {
		return types.ManagedObjectReference{}, fmt.Errorf("template VM %s not in the simulator", tmpl)
	}
	host, ok := m.Get(b.hosts[spec.Host].Reference()).(*simulator.HostSystem)
	if !ok {
		return types.ManagedObjectReference{}, fmt.Errorf("host %s not in the simulator", spec.Host)
	}
	pool := b.pools[spec.Host].Reference()
	ds, err := b.datastore(host, spec.Datastore)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	lock := &simulator.Context{} // a locking identity of the builder's own
	vm := &simulator.VirtualMachine{}
	var cerr error
	m.WithLock(lock, src, func() { cerr = copyInto(vm, src, spec, n) })
	if cerr != nil {
		return types.ManagedObjectReference{}, cerr
	}
	hostRef := host.Reference()
	vm.Runtime.Host = &hostRef
	vm.Summary.Runtime = vm.Runtime
	vm.Summary.Vm = nil
	vm.Datastore = []types.ManagedObjectReference{ds}
	vm.ResourcePool = &pool
	if cr := computeResource(b.sctx, host); cr != nil && cr.EnvironmentBrowser != nil {
		vm.EnvironmentBrowser = *cr.EnvironmentBrowser
	}
	folder, ok := m.Get(*src.Parent).(*simulator.Folder)
	if !ok {
		return types.ManagedObjectReference{}, fmt.Errorf("folder of template VM %s not in the simulator", tmpl)
	}
	m.NewEntity(vm)
	self := vm.Self
	vm.Summary.Vm = &self
	m.PutEntity(folder, vm)
	m.AppendReference(lock, folder, &folder.ChildEntity, self)
	m.AppendReference(lock, host, &host.Vm, self)
	if d, ok := m.Get(ds).(*simulator.Datastore); ok {
		m.AppendReference(lock, d, &d.Vm, self)
	}
	if rp, ok := m.Get(pool).(*simulator.ResourcePool); ok {
		m.AppendReference(lock, rp, &rp.Vm, self)
	}
	return self, nil
}

// copyInto makes dst a copy of src named as spec, with the n-th copy's
// UUIDs and MACs; what a client may change on one VM is not shared.
func copyInto(dst, src *simulator.VirtualMachine, spec VM, n int) error {
	if src.Config == nil {
		return fmt.Errorf("template VM %s has no configuration", src.Name)
	}
	*dst = *src
	dst.Self = types.ManagedObjectReference{}
	dst.Name = spec.Name
	dst.DataSets = map[string]*simulator.DataSet{}
	cfg := *src.Config
	cfg.Name = spec.Name
	cfg.Uuid, cfg.InstanceUuid = bulkUUID(1, n), bulkUUID(2, n)
	cfg.Files.VmPathName = fmt.Sprintf("[%s] %s/%s.vmx", spec.Datastore, spec.Name, spec.Name)
	cfg.Hardware.Device = make([]types.BaseVirtualDevice, 0, len(src.Config.Hardware.Device))
	nic := 0
	macs := map[string]string{}
	for _, d := range src.Config.Hardware.Device {
		c := copyDevice(d)
		if card, ok := c.(types.BaseVirtualEthernetCard); ok {
			e := card.GetVirtualEthernetCard()
			mac := bulkMAC(n*len(spec.NICs) + nic)
			macs[e.MacAddress] = mac
			e.MacAddress = mac
			if e.Connectable != nil {
				conn := *e.Connectable
				e.Connectable = &conn
			}
			nic++
		}
		cfg.Hardware.Device = append(cfg.Hardware.Device, c)
	}
	dst.Config = &cfg
	dst.Summary.Config.Name = spec.Name
	dst.Summary.Config.Uuid, dst.Summary.Config.InstanceUuid = cfg.Uuid, cfg.InstanceUuid
	dst.Summary.Config.VmPathName = cfg.Files.VmPathName
	dst.Network = slices.Clone(src.Network)
	if src.Guest != nil {
		g := *src.Guest
		g.Net = slices.Clone(src.Guest.Net)
		for i := range g.Net {
			if mac, ok := macs[g.Net[i].MacAddress]; ok {
				g.Net[i].MacAddress = mac
			}
		}
		dst.Guest = &g
	}
	if src.Storage != nil {
		st := *src.Storage
		dst.Storage = &st
	}
	if src.LayoutEx != nil {
		l := *src.LayoutEx
		dst.LayoutEx = &l
	}
	dst.Runtime.Device = slices.Clone(src.Runtime.Device)
	return nil
}

// copyDevice copies a virtual device one level deep: its own struct, a
// controller's list of devices and a card's backing, which vcsim changes
// in place.
func copyDevice(d types.BaseVirtualDevice) types.BaseVirtualDevice {
	c := shallowCopy(d)
	if ctl, ok := c.(types.BaseVirtualController); ok {
		vc := ctl.GetVirtualController()
		vc.Device = slices.Clone(vc.Device)
	}
	vd := c.GetVirtualDevice()
	if vd.Backing != nil {
		vd.Backing = shallowCopy(vd.Backing)
	}
	return c
}

// shallowCopy returns a new *T holding *p, for any pointer p.
func shallowCopy[I any](p I) I {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return p
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	return c.Interface().(I)
}

// computeResource is the compute resource (a cluster's, or a standalone
// host's) that host belongs to.
func computeResource(ctx *simulator.Context, host *simulator.HostSystem) *mo.ComputeResource {
	if host.Parent == nil {
		return nil
	}
	switch p := ctx.Map.Get(*host.Parent).(type) {
	case *mo.ComputeResource:
		return p
	case *simulator.ClusterComputeResource:
		return &p.ComputeResource
	}
	return nil
}

// datastore is the datastore named name that host mounts.
func (b *builder) datastore(host *simulator.HostSystem, name string) (types.ManagedObjectReference, error) {
	var refs []types.ManagedObjectReference
	b.sctx.Map.WithLock(&simulator.Context{}, host, func() { refs = slices.Clone(host.Datastore) })
	for _, ref := range refs {
		if d, ok := b.sctx.Map.Get(ref).(*simulator.Datastore); ok && d.Name == name {
			return ref, nil
		}
	}
	return types.ManagedObjectReference{}, fmt.Errorf("datastore %s is not mounted on host %s", name, host.Name)
}
