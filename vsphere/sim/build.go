package sim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
