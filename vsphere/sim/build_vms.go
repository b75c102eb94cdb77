package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// eachNIC hands f each network adapter of the simulator's VM ref with the
// topology's NIC it was created from (adapters and spec.NICs are in one
// order), under the VM's lock: the one lookup of a created VM's NICs.
func (b *builder) eachNIC(ref types.ManagedObjectReference, spec VM, f func(types.BaseVirtualEthernetCard, NIC)) error {
	v, ok := b.sctx.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("VM %s not in the simulator", spec.Name)
	}
	// A locking identity of its own: VMs are built by concurrent workers.
	b.sctx.Map.WithLock(&simulator.Context{}, v, func() {
		i := 0
		for _, d := range v.Config.Hardware.Device {
			card, ok := d.(types.BaseVirtualEthernetCard)
			if !ok {
				continue
			}
			if i < len(spec.NICs) {
				f(card, spec.NICs[i])
			}
			i++
		}
	})
	return nil
}

// attachOpaque rebacks the VM's NICs that the topology puts on opaque
// networks: vcsim attaches a NIC to an opaque network only through an NSX
// distributed portgroup, so the NIC is created on VM Network first.
func (b *builder) attachOpaque(ref types.ManagedObjectReference, spec VM) error {
	return b.eachNIC(ref, spec, func(card types.BaseVirtualEthernetCard, nic NIC) {
		if id, ok := b.opaque[nic.Network]; ok {
			card.GetVirtualEthernetCard().Backing = &types.VirtualEthernetCardOpaqueNetworkBackingInfo{
				OpaqueNetworkId: id, OpaqueNetworkType: "nsx.LogicalSwitch",
			}
		}
	})
}

func (b *builder) nicBacking(name string) types.BaseVirtualDeviceBackingInfo {
	if _, ok := b.opaque[name]; ok {
		name = "VM Network"
	}
	if pg, ok := b.dvpgs[name]; ok {
		return &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
			Port: types.DistributedVirtualSwitchPortConnection{SwitchUuid: pg.switchUUID, PortgroupKey: pg.key},
		}
	}
	return &types.VirtualEthernetCardNetworkBackingInfo{
		VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: name},
	}
}

// vmWorkers create VMs concurrently: most of a creation is waiting for
// vcsim's asynchronous tasks.
const vmWorkers = 8

// buildVMs creates the VMs through the API, but for the bulk VMs whose
// shape has a VM already (bulk.go): those are copies of it.
func (b *builder) buildVMs(ctx context.Context) error {
	var direct []VM
	type bulkCopy struct {
		vm    VM
		shape string
	}
	var copies []bulkCopy
	template := map[string]string{} // shape -> name of the VM copied
	for _, vm := range b.t.VMs {
		shape, ok := bulkShape(vm)
		if !ok {
			direct = append(direct, vm)
			continue
		}
		if _, have := template[shape]; !have {
			template[shape] = vm.Name
			direct = append(direct, vm)
			continue
		}
		copies = append(copies, bulkCopy{vm, shape})
	}
	if err := b.createVMs(ctx, direct); err != nil {
		return err
	}
	for i, c := range copies {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("sim: create VMs: %w", err)
			}
		}
		ref, err := b.copyVM(b.vms[template[c.shape]], c.vm, i)
		if err != nil {
			return fmt.Errorf("sim: create VM %s: %w", c.vm.Name, err)
		}
		b.vms[c.vm.Name] = ref
	}
	return nil
}

// createVMs creates vms through the API, vmWorkers at a time.
func (b *builder) createVMs(ctx context.Context, vms []VM) error {
	type result struct {
		name string
		ref  types.ManagedObjectReference
		err  error
	}
	jobs := make(chan VM)
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(vmWorkers, max(len(vms), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for vm := range jobs {
				ref, err := b.createVM(ctx, vm)
				results <- result{vm.Name, ref, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, vm := range vms {
			select {
			case jobs <- vm:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var errs []error
	for r := range results {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("sim: create VM %s: %w", r.name, r.err))
			continue
		}
		b.vms[r.name] = r.ref
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("sim: create VMs: %w", err))
	}
	return errors.Join(errs...)
}

func (b *builder) createVM(ctx context.Context, vm VM) (types.ManagedObjectReference, error) {
	var devices object.VirtualDeviceList
	if vm.DiskGB > 0 {
		scsi, err := devices.CreateSCSIController("pvscsi")
		if err != nil {
			return types.ManagedObjectReference{}, err
		}
		devices = append(devices, scsi)
		disk := devices.CreateDisk(scsi.(types.BaseVirtualController), types.ManagedObjectReference{},
			fmt.Sprintf("[%s] %s/%s.vmdk", vm.Datastore, vm.Name, vm.Name))
		disk.CapacityInKB = int64(vm.DiskGB) * 1024 * 1024
		devices = append(devices, disk)
	}
	for i, nic := range vm.NICs {
		kind := nic.Type
		if kind == "" {
			kind = "vmxnet3"
		}
		card, err := devices.CreateEthernetCard(kind, b.nicBacking(nic.Network))
		if err != nil {
			return types.ManagedObjectReference{}, err
		}
		eth := card.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		eth.DeviceInfo = &types.Description{Label: fmt.Sprintf("Network adapter %d", i+1), Summary: nic.Network}
		eth.AddressType = string(types.VirtualEthernetCardMacTypeGenerated)
		if nic.MAC != "" {
			eth.AddressType = string(types.VirtualEthernetCardMacTypeManual)
			eth.MacAddress = strings.ToLower(nic.MAC)
		}
		eth.Connectable = &types.VirtualDeviceConnectInfo{
			StartConnected: !nic.Disconnected, Connected: !nic.Disconnected, AllowGuestControl: true,
		}
		devices = append(devices, card)
	}
	change, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	spec := types.VirtualMachineConfigSpec{
		Name:         vm.Name,
		GuestId:      string(types.VirtualMachineGuestOsIdentifierFreebsd13_64Guest),
		NumCPUs:      1,
		MemoryMB:     1024,
		Files:        &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", vm.Datastore)},
		DeviceChange: change,
	}
	host := b.hosts[vm.Host]
	task, err := b.folders.VmFolder.CreateVM(ctx, spec, b.pools[vm.Host], host)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	res, err := b.wait(ctx, task)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	ref, ok := res.(types.ManagedObjectReference)
	if !ok {
		return ref, fmt.Errorf("create returned %T, not a VM reference", res)
	}
	obj := object.NewVirtualMachine(b.c, ref)
	if vm.PoweredOn {
		task, err := obj.PowerOn(ctx)
		if err == nil {
			_, err = b.wait(ctx, task)
		}
		if err != nil {
			return ref, fmt.Errorf("power on: %w", err)
		}
	}
	for _, nic := range vm.NICs {
		if _, ok := b.opaque[nic.Network]; ok {
			if err := b.attachOpaque(ref, vm); err != nil {
				return ref, err
			}
			break
		}
	}
	// vcsim connects every NIC at power-on; restore the ones the topology
	// wants disconnected.
	for _, nic := range vm.NICs {
		if nic.Disconnected {
			return ref, b.disconnectNICs(ref, vm)
		}
	}
	return ref, nil
}

// disconnectNICs marks the VM's NICs that the topology wants disconnected.
func (b *builder) disconnectNICs(ref types.ManagedObjectReference, spec VM) error {
	return b.eachNIC(ref, spec, func(card types.BaseVirtualEthernetCard, nic NIC) {
		if c := card.GetVirtualEthernetCard().Connectable; nic.Disconnected && c != nil {
			c.Connected = false
			c.StartConnected = false
		}
	})
}
