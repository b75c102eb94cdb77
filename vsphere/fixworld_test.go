package vsphere_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// fixWorld is a simulated inventory with a logged-in session, for the
// --fix tests.
type fixWorld struct {
	t   testing.TB
	ctx context.Context
	srv *sim.Server
	s   *vsphere.Session
	cfg *config.Config
}

func newFixWorld(t testing.TB, top sim.Topology) *fixWorld {
	t.Helper()
	ctx := context.Background()
	srv, err := sim.Start(ctx, top, "")
	if err != nil {
		t.Fatalf("sim.Start(%s): %v", top.Name, err)
	}
	t.Cleanup(srv.Close)
	s, err := vsphere.Open(ctx, srv.VSphereConfig())
	if err != nil {
		t.Fatalf("vsphere.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	return &fixWorld{t: t, ctx: ctx, srv: srv, s: s, cfg: config.Simulator()}
}

// check gathers facts and runs the checks.
func (w *fixWorld) check() preflight.Report {
	w.t.Helper()
	f, err := w.s.Gather(w.ctx, w.cfg)
	if err != nil {
		w.t.Fatalf("Gather: %v", err)
	}
	return preflight.Run(w.cfg, f)
}

// plan gathers, checks and plans.
// twoWrites makes Public a network without a vmac, which needs
// promiscuous mode: the default topology's plan then writes both router
// portgroups, as a test of a second write wants.
func (w *fixWorld) twoWrites() *fixWorld {
	w.cfg.Networks[1].VMAC = nil
	return w
}

func (w *fixWorld) plan(opts fix.Options) fix.Plan {
	w.t.Helper()
	f, err := w.s.Gather(w.ctx, w.cfg)
	if err != nil {
		w.t.Fatalf("Gather: %v", err)
	}
	p, err := fix.NewPlan(w.cfg, f, preflight.Run(w.cfg, f).Findings, opts)
	if err != nil {
		w.t.Fatalf("NewPlan: %v", err)
	}
	return p
}

// backup backs up the plan's objects, through the backup file's encoding.
func (w *fixWorld) backup(p fix.Plan) change.Backup {
	w.t.Helper()
	b, err := w.s.Backup(w.ctx, p.Changes)
	if err != nil {
		w.t.Fatalf("Backup: %v", err)
	}
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		w.t.Fatal(err)
	}
	out, err := change.DecodeBackup(&buf)
	if err != nil {
		w.t.Fatalf("DecodeBackup: %v", err)
	}
	return out
}

// fixFailing returns the failing findings of the checks named.
func fixFailing(r preflight.Report, checks ...preflight.Check) []preflight.Finding {
	var out []preflight.Finding
	for _, f := range r.Findings {
		for _, c := range checks {
			if f.Check == c && f.Status == preflight.Fail {
				out = append(out, f)
			}
		}
	}
	return out
}

var fixedChecks = []preflight.Check{
	preflight.CheckPromiscuous, preflight.CheckMACChanges, preflight.CheckForgedTransmits,
	preflight.CheckReversePathPromisc,
}

// fixInventoryState reads, through plain govmomi (not carpvm's gathering),
// every host's vSwitch and portgroup specs and Net.* option value, every
// distributed portgroup's configuration (configVersion aside), every
// cluster's rules and every VM's host and network adapters, each
// marshalled to JSON, by object.
func fixInventoryState(t testing.TB, ctx context.Context, c *vim25.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %s: %v", key, err)
		}
		out[key] = string(b)
	}
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()

	var hosts []mo.HostSystem
	if err := v.Retrieve(ctx, []string{"HostSystem"}, []string{"name", "config.network", "configManager.advancedOption"}, &hosts); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		for _, vs := range h.Config.Network.Vswitch {
			put(fmt.Sprintf("host %s vswitch %s", h.Name, vs.Name), vs.Spec)
		}
		for _, pg := range h.Config.Network.Portgroup {
			put(fmt.Sprintf("host %s portgroup %s", h.Name, pg.Spec.Name), pg.Spec)
			put(fmt.Sprintf("host %s portgroup %s computed", h.Name, pg.Spec.Name), pg.ComputedPolicy)
		}
		opts, err := object.NewOptionManager(c, *h.ConfigManager.AdvancedOption).Query(ctx, "Net.ReversePathFwdCheckPromisc")
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range opts {
			ov := o.GetOptionValue()
			put(fmt.Sprintf("host %s option %s", h.Name, ov.Key), map[string]any{"type": fmt.Sprintf("%T", ov.Value), "value": ov.Value})
		}
	}
	var pgs []mo.DistributedVirtualPortgroup
	if err := v.Retrieve(ctx, []string{"DistributedVirtualPortgroup"}, []string{"config"}, &pgs); err != nil {
		t.Fatal(err)
	}
	for _, pg := range pgs {
		cfg := pg.Config
		cfg.ConfigVersion = ""
		put("dvportgroup "+cfg.Name, cfg)
	}
	var clusters []mo.ClusterComputeResource
	if err := v.Retrieve(ctx, []string{"ClusterComputeResource"}, []string{"name", "configurationEx"}, &clusters); err != nil {
		t.Fatal(err)
	}
	for _, cl := range clusters {
		var rules []string
		for _, r := range cl.ConfigurationEx.(*types.ClusterConfigInfoEx).Rule {
			b, _ := json.Marshal(r)
			rules = append(rules, string(b))
		}
		sort.Strings(rules)
		put("cluster "+cl.Name+" rules", rules)
	}
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.host", "config.hardware.device"}, &vms); err != nil {
		t.Fatal(err)
	}
	for _, vm := range vms {
		put("vm "+vm.Name+" host", vm.Runtime.Host)
		for _, d := range vm.Config.Hardware.Device {
			if _, ok := d.(types.BaseVirtualEthernetCard); ok {
				put(fmt.Sprintf("vm %s nic %d", vm.Name, d.GetVirtualDevice().Key), d)
			}
		}
	}
	return out
}

// fixDiffState lists the keys whose values differ between two states.
func fixDiffState(before, after map[string]string) []string {
	var out []string
	for k, v := range before {
		if after[k] != v {
			out = append(out, fmt.Sprintf("%s:\n  before %s\n  after  %s", k, v, after[k]))
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			out = append(out, fmt.Sprintf("%s: new %s", k, v))
		}
	}
	sort.Strings(out)
	return out
}

// fixView is a container view of kind over the whole inventory.
func fixView(w *fixWorld, kind string) (*view.ContainerView, error) {
	c := w.s.Client()
	return view.NewManager(c).CreateContainerView(w.ctx, c.ServiceContent.RootFolder, []string{kind}, true)
}
