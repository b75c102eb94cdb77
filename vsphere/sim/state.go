package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// ReadState reads every setting a carpvm write can change, each
// marshalled to JSON, by object: every host's vSwitch and portgroup specs
// (and computed policy) and Net.ReversePathFwdCheckPromisc, every
// distributed portgroup's configuration (configVersion aside), every
// distributed switch's default port policy, every
// cluster's rules (their random UUIDs aside), every VM's host, power state, snapshots and network
// adapters. It reads in process, past the fault seam, so that a test can
// re-read the inventory whatever fault is armed.
func (s *Server) ReadState(ctx context.Context) (map[string]string, error) {
	c, err := vim25.NewClient(ctx, s.model.Service)
	if err != nil {
		return nil, fmt.Errorf("sim: in-process client: %w", err)
	}
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, nil, true)
	if err != nil {
		return nil, fmt.Errorf("sim: inventory view: %w", err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var entities []mo.ManagedEntity
	if err := v.Retrieve(ctx, []string{"ManagedEntity"}, []string{"name"}, &entities); err != nil {
		return nil, fmt.Errorf("sim: read names: %w", err)
	}
	names := map[string]string{}
	for _, e := range entities {
		names[e.Self.Type+"/"+e.Self.Value] = e.Name
	}
	out := map[string]string{}
	var errs []error
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("marshal %s: %w", key, err))
		}
		out[key] = byName(string(b), names)
	}

	var hosts []mo.HostSystem
	if err := v.Retrieve(ctx, []string{"HostSystem"}, []string{"name", "config.network", "configManager.advancedOption"}, &hosts); err != nil {
		return nil, fmt.Errorf("sim: read hosts: %w", err)
	}
	for _, h := range hosts {
		for _, vs := range h.Config.Network.Vswitch {
			put(fmt.Sprintf("host %s vswitch %s", h.Name, vs.Name), vs.Spec)
		}
		for _, pg := range h.Config.Network.Portgroup {
			put(fmt.Sprintf("host %s portgroup %s", h.Name, pg.Spec.Name), pg.Spec)
			put(fmt.Sprintf("host %s portgroup %s computed", h.Name, pg.Spec.Name), pg.ComputedPolicy)
		}
		opts, err := object.NewOptionManager(c, *h.ConfigManager.AdvancedOption).Query(ctx, OptionReversePathFwdCheckPromisc)
		if err != nil {
			return nil, fmt.Errorf("sim: read %s's options: %w", h.Name, err)
		}
		for _, o := range opts {
			ov := o.GetOptionValue()
			put(fmt.Sprintf("host %s option %s", h.Name, ov.Key), map[string]any{"type": fmt.Sprintf("%T", ov.Value), "value": ov.Value})
		}
	}
	var pgs []mo.DistributedVirtualPortgroup
	if err := v.Retrieve(ctx, []string{"DistributedVirtualPortgroup"}, []string{"config"}, &pgs); err != nil {
		return nil, fmt.Errorf("sim: read distributed portgroups: %w", err)
	}
	for _, pg := range pgs {
		cfg := pg.Config
		cfg.ConfigVersion = ""
		put("dvportgroup "+cfg.Name, cfg)
	}
	var switches []mo.DistributedVirtualSwitch
	if err := v.Retrieve(ctx, []string{"DistributedVirtualSwitch"}, []string{"name", "config.defaultPortConfig"}, &switches); err != nil {
		return nil, fmt.Errorf("sim: read distributed switches: %w", err)
	}
	for _, sw := range switches {
		if sw.Config != nil {
			put("dvswitch "+sw.Name+" default port config", sw.Config.GetDVSConfigInfo().DefaultPortConfig)
		}
	}
	var clusters []mo.ClusterComputeResource
	if err := v.Retrieve(ctx, []string{"ClusterComputeResource"}, []string{"name", "configurationEx"}, &clusters); err != nil {
		return nil, fmt.Errorf("sim: read clusters: %w", err)
	}
	for _, cl := range clusters {
		var rules []json.RawMessage
		if ex, ok := cl.ConfigurationEx.(*types.ClusterConfigInfoEx); ok {
			for _, r := range ex.Rule {
				r.GetClusterRuleInfo().RuleUuid = "" // random per rule, not a setting
				if aa, ok := r.(*types.ClusterAntiAffinityRuleSpec); ok {
					sortRefs(aa.Vm, names)
				}
				if a, ok := r.(*types.ClusterAffinityRuleSpec); ok {
					sortRefs(a.Vm, names)
				}
				b, _ := json.Marshal(r)
				rules = append(rules, b)
			}
		}
		sort.Slice(rules, func(i, j int) bool { return string(rules[i]) < string(rules[j]) })
		put("cluster "+cl.Name+" rules", rules)
	}
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.host", "runtime.powerState", "snapshot", "config.hardware.device"}, &vms); err != nil {
		return nil, fmt.Errorf("sim: read VMs: %w", err)
	}
	for _, vm := range vms {
		put("vm "+vm.Name+" host", vm.Runtime.Host)
		put("vm "+vm.Name+" power", vm.Runtime.PowerState)
		var snapshots []string
		if vm.Snapshot != nil {
			for _, t := range vm.Snapshot.RootSnapshotList {
				snapshots = append(snapshots, t.Name)
			}
		}
		put("vm "+vm.Name+" snapshots", snapshots)
		for _, d := range vm.Config.Hardware.Device {
			if _, ok := d.(types.BaseVirtualEthernetCard); ok {
				put(fmt.Sprintf("vm %s nic %d", vm.Name, d.GetVirtualDevice().Key), d)
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("sim: inventory: %v", errs)
	}
	return out, nil
}

// sortRefs sorts refs by entity name: a rule's VMs are a set.
func sortRefs(refs []types.ManagedObjectReference, names map[string]string) {
	sort.Slice(refs, func(i, j int) bool {
		return names[refs[i].Type+"/"+refs[i].Value] < names[refs[j].Type+"/"+refs[j].Value]
	})
}

// refJSON is a managed object reference as JSON.
var refJSON = regexp.MustCompile(`\{"type":"(\w+)","value":"([^"]+)"\}`)

// byName writes each reference in js as its type and entity name: two
// simulators of one topology number their objects differently.
func byName(js string, names map[string]string) string {
	return refJSON.ReplaceAllStringFunc(js, func(ref string) string {
		m := refJSON.FindStringSubmatch(ref)
		if name, ok := names[m[1]+"/"+m[2]]; ok {
			return strconv.Quote(m[1] + ":" + name)
		}
		return ref
	})
}

// DiffState lists the objects whose settings differ between two
// ReadState readings, each with both values.
func DiffState(before, after map[string]string) []string {
	var out []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			out = append(out, k+": gone (was "+v+")")
		} else if w != v {
			out = append(out, fmt.Sprintf("%s:\n  before %s\n  after  %s", k, v, w))
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			out = append(out, k+": new "+v)
		}
	}
	sort.Strings(out)
	return out
}
