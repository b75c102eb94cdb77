package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/facts"
)

// builder creates a Topology's inventory through the vSphere API, using an
// in-process client of the model's service (no HTTP), so that the
// simulator's own bookkeeping (parents, datastores, host.vm, ...) is done
// the way a real client's calls would do it.
type builder struct {
	t       Topology
	dir     string // backing directory of the datastores
	model   *simulator.Model
	sctx    *simulator.Context
	c       *vim25.Client
	folders *object.DatacenterFolders

	clusters map[string]*object.ClusterComputeResource
	hosts    map[string]*object.HostSystem
	pools    map[string]*object.ResourcePool // each host's compute resource root pool
	dvpgs    map[string]dvpgRef              // by portgroup name
	opaque   map[string]string               // opaque network id by name
	vms      map[string]types.ManagedObjectReference
}

type dvpgRef struct {
	key, switchUUID string
}

func (b *builder) build(ctx context.Context) error {
	c, err := vim25.NewClient(ctx, b.model.Service)
	if err != nil {
		return fmt.Errorf("sim: in-process client: %w", err)
	}
	b.c = c
	b.sctx = b.model.Service.Context
	b.clusters = map[string]*object.ClusterComputeResource{}
	b.hosts = map[string]*object.HostSystem{}
	b.pools = map[string]*object.ResourcePool{}
	b.dvpgs = map[string]dvpgRef{}
	b.opaque = map[string]string{}
	b.vms = map[string]types.ManagedObjectReference{}

	dc, err := object.NewRootFolder(c).CreateDatacenter(ctx, b.t.Datacenter)
	if err != nil {
		return fmt.Errorf("sim: create datacenter %s: %w", b.t.Datacenter, err)
	}
	if b.folders, err = dc.Folders(ctx); err != nil {
		return fmt.Errorf("sim: datacenter folders: %w", err)
	}
	steps := []func(context.Context) error{b.buildClusters, b.buildHosts, b.buildDatastores, b.buildSwitches, b.buildOpaque, b.buildVMs, b.buildRules, b.seedConfigVersions}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// seedConfigVersions numbers the distributed portgroups' configurations,
// which StrictDVPortgroup then checks and bumps as vCenter does.
func (b *builder) seedConfigVersions(context.Context) error {
	seedConfigVersions(b.sctx)
	return nil
}

func (b *builder) buildClusters(ctx context.Context) error {
	for _, cl := range b.t.Clusters {
		cluster, err := b.folders.HostFolder.CreateCluster(ctx, cl.Name, types.ClusterConfigSpecEx{})
		if err != nil {
			return fmt.Errorf("sim: create cluster %s: %w", cl.Name, err)
		}
		task, err := cluster.Reconfigure(ctx, &types.ClusterConfigSpecEx{
			DrsConfig: &types.ClusterDrsConfigInfo{Enabled: types.NewBool(cl.DRS)},
		}, true)
		if err == nil {
			_, err = b.wait(ctx, task)
		}
		if err != nil {
			return fmt.Errorf("sim: configure DRS of cluster %s: %w", cl.Name, err)
		}
		b.clusters[cl.Name] = cluster
	}
	return nil
}

func (b *builder) buildHosts(ctx context.Context) error {
	for _, h := range b.t.Hosts {
		spec := types.HostConnectSpec{HostName: h.Name}
		var task *object.Task
		var err error
		if h.Cluster == "" {
			task, err = b.folders.HostFolder.AddStandaloneHost(ctx, spec, true, nil, nil)
		} else {
			task, err = b.clusters[h.Cluster].AddHost(ctx, spec, true, nil, nil)
		}
		var res types.AnyType
		if err == nil {
			res, err = b.wait(ctx, task)
		}
		ref, ok := res.(types.ManagedObjectReference)
		if err == nil && !ok {
			err = fmt.Errorf("add returned %T, not a host reference", res)
		}
		if err != nil {
			return fmt.Errorf("sim: add host %s: %w", h.Name, err)
		}
		host := object.NewHostSystem(b.c, ref)
		b.hosts[h.Name] = host
		if err := b.extendHost(h, host.Reference()); err != nil {
			return err
		}
		if err := b.configureNetworking(ctx, h, host); err != nil {
			return err
		}
		pool, err := host.ResourcePool(ctx)
		if err != nil {
			return fmt.Errorf("sim: resource pool of host %s: %w", h.Name, err)
		}
		b.pools[h.Name] = pool
	}
	return nil
}

// extendHost replaces vcsim's network system and advanced-option manager
// of host with the ESXi-faithful ones, gives it a vSAN system, sets up its physical NICs and seeds
// Net.ReversePathFwdCheckPromisc.
func (b *builder) extendHost(spec Host, ref types.ManagedObjectReference) error {
	m := b.sctx.Map
	hs, ok := m.Get(ref).(*simulator.HostSystem)
	if !ok {
		return fmt.Errorf("sim: host %s: unexpected object %T", spec.Name, m.Get(ref))
	}
	var err error
	b.sctx.WithLock(hs, func() {
		pnics := hs.Config.Network.Pnic
		if len(pnics) == 0 {
			err = fmt.Errorf("sim: host %s has no physical NIC template", spec.Name)
			return
		}
		n := max(spec.PNICs, 2)
		for i := len(pnics); i < n; i++ {
			p := pnics[len(pnics)-1]
			p.Device = fmt.Sprintf("vmnic%d", i)
			p.Key = pnicKey(p.Device)
			p.Pci = fmt.Sprintf("0000:%02x:00.0", i+1)
			pnics = append(pnics, p)
		}
		hs.Config.Network.Pnic = pnics
		addVsanSystem(m, hs)
	})
	if err != nil {
		return err
	}

	ns, ok := m.Get(*hs.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem)
	if !ok {
		return fmt.Errorf("sim: host %s: network system is %T", spec.Name, m.Get(*hs.ConfigManager.NetworkSystem))
	}
	// One HostNetworkInfo for both HostSystem.config.network and
	// HostNetworkSystem.networkInfo, as they are one thing on ESXi.
	ns.NetworkInfo = hs.Config.Network
	m.Put(&HostNetworkSystem{HostNetworkSystem: ns, host: ref})

	om, ok := m.Get(*hs.ConfigManager.AdvancedOption).(*simulator.OptionManager)
	if !ok {
		return fmt.Errorf("sim: host %s: option manager is %T", spec.Name, m.Get(*hs.ConfigManager.AdvancedOption))
	}
	// Seeded through vcsim's own method, which may add a key; ours may not.
	if f := om.UpdateOptions(&types.UpdateOptions{ChangedValue: []types.BaseOptionValue{
		&types.OptionValue{Key: OptionReversePathFwdCheckPromisc, Value: spec.ReversePathFwdCheckPromisc},
	}}).Fault(); f != nil {
		return fmt.Errorf("sim: host %s: seed %s: %v", spec.Name, OptionReversePathFwdCheckPromisc, f.String)
	}
	m.Put(newHostOptionManager(om, ref))
	return nil
}

func securityPolicy(s facts.Security) *types.HostNetworkSecurityPolicy {
	return &types.HostNetworkSecurityPolicy{
		AllowPromiscuous: copyBool(s.Promiscuous),
		MacChanges:       copyBool(s.MacChanges),
		ForgedTransmits:  copyBool(s.ForgedTransmits),
	}
}

// configureNetworking makes the host's vSwitches and portgroups exactly
// those of spec, through the HostNetworkSystem methods.
func (b *builder) configureNetworking(ctx context.Context, spec Host, host *object.HostSystem) error {
	ns, err := host.ConfigManager().NetworkSystem(ctx)
	if err != nil {
		return fmt.Errorf("sim: host %s network system: %w", spec.Name, err)
	}
	hs := b.sctx.Map.Get(host.Reference()).(*simulator.HostSystem)
	var have []string
	var haveSwitches []string
	b.sctx.WithLock(hs, func() {
		for _, pg := range hs.Config.Network.Portgroup {
			have = append(have, pg.Spec.Name)
		}
		for _, vs := range hs.Config.Network.Vswitch {
			haveSwitches = append(haveSwitches, vs.Name)
		}
	})
	want := map[string]bool{}
	for _, pg := range spec.Portgroups {
		want[pg.Name] = true
	}
	for _, name := range have {
		if !want[name] {
			if err := ns.RemovePortGroup(ctx, name); err != nil {
				return fmt.Errorf("sim: host %s: remove portgroup %s: %w", spec.Name, name, err)
			}
		}
	}
	wantSwitch := map[string]bool{}
	for _, vs := range spec.VSwitches {
		wantSwitch[vs.Name] = true
		active := vs.Active
		if active == nil {
			active = vs.Uplinks
		}
		vspec := types.HostVirtualSwitchSpec{
			NumPorts: 128,
			Policy: &types.HostNetworkPolicy{
				Security:   securityPolicy(vs.Security),
				NicTeaming: &types.HostNicTeamingPolicy{NicOrder: &types.HostNicOrderPolicy{ActiveNic: active}},
			},
		}
		if len(vs.Uplinks) > 0 {
			vspec.Bridge = &types.HostVirtualSwitchBondBridge{NicDevice: vs.Uplinks}
		}
		if slices.Contains(haveSwitches, vs.Name) {
			err = ns.UpdateVirtualSwitch(ctx, vs.Name, vspec)
		} else {
			err = ns.AddVirtualSwitch(ctx, vs.Name, &vspec)
		}
		if err != nil {
			return fmt.Errorf("sim: host %s: vSwitch %s: %w", spec.Name, vs.Name, err)
		}
	}
	for _, pg := range spec.Portgroups {
		pspec := types.HostPortGroupSpec{
			Name: pg.Name, VlanId: pg.VLAN, VswitchName: pg.VSwitch,
			Policy: types.HostNetworkPolicy{Security: securityPolicy(pg.Security)},
		}
		if slices.Contains(have, pg.Name) {
			err = ns.UpdatePortGroup(ctx, pg.Name, pspec)
			if err == nil {
				attachNetwork(b.sctx, host.Reference(), pg.Name)
			}
		} else {
			err = ns.AddPortGroup(ctx, pspec)
		}
		if err != nil {
			return fmt.Errorf("sim: host %s: portgroup %s: %w", spec.Name, pg.Name, err)
		}
	}
	for _, name := range haveSwitches {
		if !wantSwitch[name] {
			if err := ns.RemoveVirtualSwitch(ctx, name); err != nil {
				return fmt.Errorf("sim: host %s: remove vSwitch %s: %w", spec.Name, name, err)
			}
		}
	}
	return nil
}

func (b *builder) buildDatastores(ctx context.Context) error {
	for _, ds := range b.t.Datastores {
		path := filepath.Join(b.dir, ds.Name)
		if err := os.MkdirAll(path, 0o700); err != nil {
			return fmt.Errorf("sim: datastore %s: %w", ds.Name, err)
		}
		for _, hn := range ds.Hosts {
			dss, err := b.hosts[hn].ConfigManager().DatastoreSystem(ctx)
			if err == nil {
				_, err = dss.CreateLocalDatastore(ctx, ds.Name, path)
			}
			if err != nil {
				return fmt.Errorf("sim: mount datastore %s on %s: %w", ds.Name, hn, err)
			}
		}
	}
	return nil
}

func boolPolicy(v bool, inherited bool) *types.BoolPolicy {
	return &types.BoolPolicy{InheritablePolicy: types.InheritablePolicy{Inherited: inherited}, Value: types.NewBool(v)}
}

func dvSecurity(s DVSecurity, inherited bool) *types.DVSSecurityPolicy {
	return &types.DVSSecurityPolicy{
		InheritablePolicy: types.InheritablePolicy{Inherited: inherited},
		AllowPromiscuous:  boolPolicy(s.Promiscuous, inherited),
		MacChanges:        boolPolicy(s.MacChanges, inherited),
		ForgedTransmits:   boolPolicy(s.ForgedTransmits, inherited),
	}
}

func dvMACManagement(m *MACManagement, inherited bool) *types.DVSMacManagementPolicy {
	if m == nil {
		return nil
	}
	return &types.DVSMacManagementPolicy{
		InheritablePolicy: types.InheritablePolicy{Inherited: inherited},
		AllowPromiscuous:  types.NewBool(m.Promiscuous),
		MacChanges:        types.NewBool(m.MacChanges),
		ForgedTransmits:   types.NewBool(m.ForgedTransmits),
		MacLearningPolicy: &types.DVSMacLearningPolicy{
			InheritablePolicy:    types.InheritablePolicy{Inherited: inherited},
			Enabled:              m.MACLearning,
			AllowUnicastFlooding: types.NewBool(true),
			Limit:                types.NewInt32(4096),
			LimitPolicy:          "DROP",
		},
	}
}

func (b *builder) buildSwitches(ctx context.Context) error {
	for _, sw := range b.t.Switches {
		var uplinks []string
		for i := 1; i <= max(sw.Uplinks, 1); i++ {
			uplinks = append(uplinks, fmt.Sprintf("uplink%d", i))
		}
		cfg := &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{
			Name:             sw.Name,
			ConfigVersion:    "1",
			UplinkPortPolicy: &types.DVSNameArrayUplinkPortPolicy{UplinkPortName: uplinks},
			DefaultPortConfig: &types.VMwareDVSPortSetting{
				SecurityPolicy:      dvSecurity(sw.Security, false),
				MacManagementPolicy: dvMACManagement(sw.MACManagement, false),
				UplinkTeamingPolicy: dvTeaming(uplinks, false),
			},
		}}
		for _, hn := range sw.Hosts {
			cfg.Host = append(cfg.Host, types.DistributedVirtualSwitchHostMemberConfigSpec{
				Operation: string(types.ConfigSpecOperationAdd), Host: b.hosts[hn].Reference(),
			})
		}
		task, err := b.folders.NetworkFolder.CreateDVS(ctx, types.DVSCreateSpec{ConfigSpec: cfg})
		var res types.AnyType
		if err == nil {
			res, err = b.wait(ctx, task)
		}
		ref, ok := res.(types.ManagedObjectReference)
		if err == nil && !ok {
			err = fmt.Errorf("create returned %T, not a switch reference", res)
		}
		if err != nil {
			return fmt.Errorf("sim: create distributed switch %s: %w", sw.Name, err)
		}
		dvs := object.NewDistributedVirtualSwitch(b.c, ref)
		if len(cfg.Host) > 0 {
			task, err := dvs.Reconfigure(ctx, &types.DVSConfigSpec{ConfigVersion: "1", Host: cfg.Host})
			if err == nil {
				_, err = b.wait(ctx, task)
			}
			if err != nil {
				return fmt.Errorf("sim: add hosts to %s: %w", sw.Name, err)
			}
		}
		simDVS := b.sctx.Map.Get(dvs.Reference()).(*simulator.DistributedVirtualSwitch)
		for _, pg := range sw.Portgroups {
			sec, inheritSec := sw.Security, true
			if pg.Security != nil {
				sec, inheritSec = *pg.Security, false
			}
			mac, inheritMAC := sw.MACManagement, true
			if pg.MACManagement != nil {
				mac, inheritMAC = pg.MACManagement, false
			}
			spec := types.DVPortgroupConfigSpec{
				Name:          pg.Name,
				Type:          string(types.DistributedVirtualPortgroupPortgroupTypeEarlyBinding),
				NumPorts:      8,
				ConfigVersion: "1",
				DefaultPortConfig: &types.VMwareDVSPortSetting{
					Vlan:                &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: pg.VLAN},
					SecurityPolicy:      dvSecurity(sec, inheritSec),
					MacManagementPolicy: dvMACManagement(mac, inheritMAC),
					UplinkTeamingPolicy: dvTeaming(uplinks, true),
				},
			}
			task, err := dvs.AddPortgroup(ctx, []types.DVPortgroupConfigSpec{spec})
			if err == nil {
				_, err = b.wait(ctx, task)
			}
			if err != nil {
				return fmt.Errorf("sim: add distributed portgroup %s to %s: %w", pg.Name, sw.Name, err)
			}
			b.dvpgs[pg.Name] = dvpgRef{switchUUID: simDVS.Uuid}
		}
		for _, ref := range simDVS.Portgroup {
			if p, ok := b.sctx.Map.Get(ref).(*simulator.DistributedVirtualPortgroup); ok {
				if r, ok := b.dvpgs[p.Name]; ok {
					r.key = p.Key
					b.dvpgs[p.Name] = r
				}
			}
		}
	}
	return nil
}

// buildOpaque adds the NSX opaque networks; the vSphere API has no method
// for it, so it goes through vcsim's folder directly.
func (b *builder) buildOpaque(ctx context.Context) error {
	if len(b.t.OpaqueNetworks) == 0 {
		return nil
	}
	folder, ok := b.sctx.Map.Get(b.folders.NetworkFolder.Reference()).(*simulator.Folder)
	if !ok {
		return fmt.Errorf("sim: network folder not found")
	}
	for i, name := range b.t.OpaqueNetworks {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
		var err error
		b.sctx.WithLock(folder, func() {
			err = folder.AddOpaqueNetwork(b.sctx, types.OpaqueNetworkSummary{
				NetworkSummary: types.NetworkSummary{Name: name}, OpaqueNetworkId: id, OpaqueNetworkType: "nsx.LogicalSwitch",
			})
		})
		if err != nil {
			return fmt.Errorf("sim: add opaque network %s: %w", name, err)
		}
		b.opaque[name] = id
	}
	return nil
}

// attachOpaque rebacks the VM's NICs that the topology puts on opaque
// networks: vcsim attaches a NIC to an opaque network only through an NSX
// distributed portgroup, so the NIC is created on VM Network first.
func (b *builder) attachOpaque(ref types.ManagedObjectReference, spec VM) error {
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
				if id, ok := b.opaque[spec.NICs[i].Network]; ok {
					card.GetVirtualEthernetCard().Backing = &types.VirtualEthernetCardOpaqueNetworkBackingInfo{
						OpaqueNetworkId: id, OpaqueNetworkType: "nsx.LogicalSwitch",
					}
				}
			}
			i++
		}
	})
	return nil
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

// wait waits for a vcsim task by polling its state in the registry, much
// faster than a PropertyCollector wait, which batches updates for 20ms.
func (b *builder) wait(ctx context.Context, task *object.Task) (types.AnyType, error) {
	t, ok := b.sctx.Map.Get(task.Reference()).(*simulator.Task)
	if !ok {
		_, err := task.WaitForResult(ctx, nil)
		return nil, err
	}
	lock := &simulator.Context{Context: ctx} // a locking identity of our own, as vcsim's Task.Wait does
	for delay := 20 * time.Microsecond; ; delay = min(2*delay, 5*time.Millisecond) {
		var info types.TaskInfo
		b.sctx.Map.WithLock(lock, t, func() { info = t.Info })
		switch info.State {
		case types.TaskInfoStateSuccess:
			return info.Result, nil
		case types.TaskInfoStateError:
			if info.Error != nil {
				return nil, fmt.Errorf("%s: %T", info.DescriptionId, info.Error.Fault)
			}
			return nil, fmt.Errorf("%s failed", info.DescriptionId)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
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
	v, ok := b.sctx.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("VM %s not in the simulator", spec.Name)
	}
	// A locking identity of its own: VMs are built by concurrent workers.
	b.sctx.Map.WithLock(&simulator.Context{}, v, func() {
		i := 0
		for _, d := range v.Config.Hardware.Device {
			if _, ok := d.(types.BaseVirtualEthernetCard); !ok {
				continue
			}
			if i < len(spec.NICs) && spec.NICs[i].Disconnected {
				if c := d.GetVirtualDevice().Connectable; c != nil {
					c.Connected = false
					c.StartConnected = false
				}
			}
			i++
		}
	})
	return nil
}

func (b *builder) buildRules(ctx context.Context) error {
	for _, r := range b.t.Rules {
		var vms []types.ManagedObjectReference
		for _, name := range r.VMs {
			vms = append(vms, b.vms[name])
		}
		base := types.ClusterRuleInfo{Name: r.Name, Enabled: types.NewBool(r.Enabled), Mandatory: types.NewBool(r.Mandatory)}
		var info types.BaseClusterRuleInfo
		switch r.Kind {
		case facts.RuleAffinity:
			info = &types.ClusterAffinityRuleSpec{ClusterRuleInfo: base, Vm: vms}
		default:
			info = &types.ClusterAntiAffinityRuleSpec{ClusterRuleInfo: base, Vm: vms}
		}
		task, err := b.clusters[r.Cluster].Reconfigure(ctx, &types.ClusterConfigSpecEx{
			RulesSpec: []types.ClusterRuleSpec{{
				ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationAdd},
				Info:            info,
			}},
		}, true)
		if err == nil {
			_, err = b.wait(ctx, task)
		}
		if err != nil {
			return fmt.Errorf("sim: add rule %s to cluster %s: %w", r.Name, r.Cluster, err)
		}
	}
	return nil
}
