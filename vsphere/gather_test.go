package vsphere_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/vsphere/sim"
)

func gather(t *testing.T, top sim.Topology) *facts.Facts {
	t.Helper()
	srv := startSim(t, top)
	s := open(t, srv.VSphereConfig())
	f, err := s.Gather(context.Background(), config.Simulator())
	if err != nil {
		t.Fatalf("Gather(%s): %v", top.Name, err)
	}
	if f.Target != srv.URL {
		t.Errorf("Target %q, want %q", f.Target, srv.URL)
	}
	return f
}

func pointerTo[T any](v T) *T { return &v }

var esxiDefault = facts.Security{Promiscuous: pointerTo(false), MacChanges: pointerTo(true), ForgedTransmits: pointerTo(true)}

// placement is where a router runs and what its NICs look like, without
// generated values (refs, generated MACs).
type placement struct {
	Found      bool
	Power      string
	Host       string
	Datastores []string
	NICs       []nicView
}

type nicView struct {
	Label, Type, Network string
	Kind                 facts.NetworkKind
	AddressType          string
	MAC                  string // manual MACs only
	Connected            bool
}

func placements(f *facts.Facts) map[string]placement {
	out := map[string]placement{}
	for _, vm := range f.VMs {
		p := placement{Found: vm.Found, Power: vm.PowerState, Host: vm.Host, Datastores: vm.Datastores}
		for _, n := range vm.NICs {
			v := nicView{Label: n.Label, Type: n.Type, Network: n.Network, Kind: n.Kind, AddressType: n.AddressType, Connected: n.Connected}
			if n.AddressType == "manual" {
				v.MAC = n.MAC
			} else if len(n.MAC) != 17 {
				v.MAC = "malformed generated MAC " + n.MAC
			}
			p.NICs = append(p.NICs, v)
		}
		out[vm.Name] = p
	}
	return out
}

func routerNICs(kind facts.NetworkKind, publicMAC string) []nicView {
	public := nicView{Label: "Network adapter 2", Type: "vmxnet3", Network: "Public", Kind: kind, AddressType: "generated", Connected: true}
	if publicMAC != "" {
		public.AddressType, public.MAC = "manual", publicMAC
	}
	return []nicView{
		{Label: "Network adapter 1", Type: "vmxnet3", Network: "IntraNought", Kind: kind, AddressType: "generated", Connected: true},
		public,
	}
}

func host(t *testing.T, f *facts.Facts, name string) facts.Host {
	t.Helper()
	h, ok := f.Host(name)
	if !ok {
		t.Fatalf("no host %s in facts (have %d hosts)", name, len(f.Hosts))
	}
	return h
}

func pgOf(t *testing.T, h facts.Host, name string) facts.Portgroup {
	t.Helper()
	pg, ok := h.Portgroup(name)
	if !ok {
		t.Fatalf("host %s has no portgroup %s", h.Name, name)
	}
	return pg
}

func TestGatherDefault(t *testing.T) {
	f := gather(t, sim.Default())
	want := map[string]placement{
		sim.Router1: {Found: true, Power: "poweredOn", Host: "esxi-01", Datastores: []string{"datastore1"}, NICs: routerNICs(facts.KindStandard, sim.DefaultVMAC)},
		sim.Router2: {Found: true, Power: "poweredOn", Host: "esxi-01", Datastores: []string{"datastore1"}, NICs: routerNICs(facts.KindStandard, sim.DefaultVMAC)},
	}
	if d := cmp.Diff(want, placements(f)); d != "" {
		t.Errorf("routers (-want +got):\n%s", d)
	}
	if f.VMs[0].Name != sim.Router1 || f.VMs[1].Name != sim.Router2 {
		t.Errorf("VMs not in configuration order: %s, %s", f.VMs[0].Name, f.VMs[1].Name)
	}
	if len(f.Hosts) != 1 || len(f.Clusters) != 0 {
		t.Fatalf("%d hosts, %d clusters; want the one standalone host", len(f.Hosts), len(f.Clusters))
	}
	h := host(t, f, "esxi-01")
	if h.Cluster != "" || h.ConnectionState != "connected" {
		t.Errorf("host cluster %q state %q, want standalone and connected", h.Cluster, h.ConnectionState)
	}
	if h.ReversePathFwdCheckPromisc == nil || *h.ReversePathFwdCheckPromisc != 0 {
		t.Errorf("Net.ReversePathFwdCheckPromisc = %v, want 0", h.ReversePathFwdCheckPromisc)
	}
	wantSwitches := []facts.VSwitch{
		{Name: "vSwitch0", Uplinks: []string{"vmnic0"}, ActiveUplinks: []string{"vmnic0"}, Security: esxiDefault},
		{Name: "vSwitch1", Security: esxiDefault},
	}
	if d := cmp.Diff(wantSwitches, h.VSwitches); d != "" {
		t.Errorf("vSwitches (-want +got):\n%s", d)
	}
	wantPG := map[string]facts.Portgroup{
		"Public":      {Name: "Public", VSwitch: "vSwitch0", Computed: esxiDefault, ActiveUplinks: []string{"vmnic0"}},
		"IntraNought": {Name: "IntraNought", VSwitch: "vSwitch1", Computed: esxiDefault},
	}
	for name, want := range wantPG {
		if d := cmp.Diff(want, pgOf(t, h, name)); d != "" {
			t.Errorf("portgroup %s (-want +got):\n%s", name, d)
		}
	}
	wantNets := []facts.Network{{Name: "IntraNought", Found: true, Kind: facts.KindStandard}, {Name: "Public", Found: true, Kind: facts.KindStandard}}
	if d := cmp.Diff(wantNets, f.Networks); d != "" {
		t.Errorf("networks (-want +got):\n%s", d)
	}
}

func TestGatherCluster(t *testing.T) {
	for _, anti := range []bool{false, true} {
		f := gather(t, sim.Cluster(3, anti))
		p := placements(f)
		if p[sim.Router1].Host != "esxi-01" || p[sim.Router2].Host != "esxi-02" {
			t.Errorf("routers on %s and %s, want esxi-01 and esxi-02", p[sim.Router1].Host, p[sim.Router2].Host)
		}
		if d := cmp.Diff([]string{"ds-b"}, p[sim.Router2].Datastores); d != "" {
			t.Errorf("router-003 datastores (-want +got):\n%s", d)
		}
		// Every host of the cluster is a host the routers can run on.
		var names []string
		for _, h := range f.Hosts {
			names = append(names, h.Name)
			if h.Cluster != "Cluster-01" {
				t.Errorf("host %s in cluster %q, want Cluster-01", h.Name, h.Cluster)
			}
			if h.ReversePathFwdCheckPromisc == nil {
				t.Errorf("host %s: option not gathered", h.Name)
			}
		}
		if d := cmp.Diff([]string{"esxi-01", "esxi-02", "esxi-03"}, names); d != "" {
			t.Errorf("hosts (-want +got):\n%s", d)
		}
		want := []facts.Cluster{{Name: "Cluster-01", Hosts: names, DRSEnabled: true}}
		if anti {
			want[0].Rules = []facts.Rule{{Name: "separate-routers", Kind: facts.RuleAntiAffinity, Enabled: true, VMs: []string{sim.Router1, sim.Router2}}}
		}
		for i := range f.Clusters {
			f.Clusters[i].Ref = ""
		}
		if d := cmp.Diff(want, f.Clusters); d != "" {
			t.Errorf("clusters, anti-affinity=%v (-want +got):\n%s", anti, d)
		}
	}
}

func TestGatherSeparateStandaloneHosts(t *testing.T) {
	f := gather(t, sim.SeparateStandaloneHosts())
	p := placements(f)
	got := [][]string{{p[sim.Router1].Host, p[sim.Router1].Datastores[0]}, {p[sim.Router2].Host, p[sim.Router2].Datastores[0]}}
	if d := cmp.Diff([][]string{{"esxi-01", "datastore1"}, {"esxi-02", "datastore2"}}, got); d != "" {
		t.Errorf("placement (-want +got):\n%s", d)
	}
	if len(f.Hosts) != 2 || len(f.Clusters) != 0 || f.Hosts[0].Cluster != "" || f.Hosts[1].Cluster != "" {
		t.Errorf("hosts %+v clusters %+v; want two standalone hosts", f.Hosts, f.Clusters)
	}
	if up := host(t, f, "esxi-02").VSwitches[1].Uplinks; len(up) != 1 {
		t.Errorf("esxi-02 vSwitch1 uplinks %v, want one", up)
	}
}

func TestGatherPortgroupOverrides(t *testing.T) {
	h := host(t, gather(t, sim.PortgroupOverrides()), "esxi-01")
	accept := facts.Security{Promiscuous: pointerTo(true), MacChanges: pointerTo(true), ForgedTransmits: pointerTo(true)}
	pub := pgOf(t, h, "Public")
	if d := cmp.Diff(accept, pub.Override); d != "" {
		t.Errorf("Public override (-want +got):\n%s", d)
	}
	if d := cmp.Diff(accept, pub.Computed); d != "" {
		t.Errorf("Public computed (-want +got):\n%s", d)
	}
	in := pgOf(t, h, "IntraNought")
	if d := cmp.Diff(facts.Security{Promiscuous: pointerTo(true)}, in.Override); d != "" {
		t.Errorf("IntraNought override (-want +got):\n%s", d)
	}
	if d := cmp.Diff(accept, in.Computed); d != "" {
		t.Errorf("IntraNought computed: promiscuous overridden, the rest inherited (-want +got):\n%s", d)
	}
}

func TestGatherTeamed(t *testing.T) {
	h := host(t, gather(t, sim.Teamed()), "esxi-01")
	if d := cmp.Diff([]string{"vmnic0", "vmnic1"}, pgOf(t, h, "Public").ActiveUplinks); d != "" {
		t.Errorf("Public active uplinks (-want +got):\n%s", d)
	}
	if vs, _ := h.VSwitch("vSwitch0"); len(vs.Uplinks) != 2 {
		t.Errorf("vSwitch0 uplinks %v, want two", vs.Uplinks)
	}
}

func TestGatherDistributed(t *testing.T) {
	for _, learning := range []bool{false, true} {
		f := gather(t, sim.Distributed(learning))
		p := placements(f)
		if d := cmp.Diff(routerNICs(facts.KindDistributed, sim.DefaultVMAC), p[sim.Router1].NICs); d != "" {
			t.Errorf("router NICs (-want +got):\n%s", d)
		}
		for _, n := range f.Networks {
			if !n.Found || n.Kind != facts.KindDistributed || n.DVPortgroup == nil {
				t.Fatalf("network %s: found=%v kind=%s, want a distributed portgroup", n.Name, n.Found, n.Kind)
			}
			pg := n.DVPortgroup
			if pg.Key == "" || pg.Key != f.VMs[0].NICsOn(n.Name)[0].PortgroupKey || pg.SwitchUUID != f.VMs[0].NICs[0].SwitchUUID {
				t.Errorf("%s: key %q switch %q do not match the router NIC's backing", n.Name, pg.Key, pg.SwitchUUID)
			}
			if typ, id, _ := strings.Cut(pg.SwitchRef, ":"); !strings.HasSuffix(typ, "DistributedVirtualSwitch") || !strings.HasPrefix(id, "dvs-") || pg.Uplink {
				t.Errorf("%s: switch ref %q, uplink %v; want the switch's Type:id, not an uplink portgroup", n.Name, pg.SwitchRef, pg.Uplink)
			}
			pg.Key, pg.SwitchUUID, pg.SwitchRef = "", "", ""
			set := func(v bool) facts.Setting { return facts.Setting{Value: v, Set: true} }
			want := &facts.DVPortgroup{
				Name: n.Name, Switch: "DSwitch", ConfigVersion: "1",
				Security:      facts.DVSecurity{Promiscuous: set(!learning), MacChanges: set(true), ForgedTransmits: set(true)},
				MACManagement: &facts.DVMACManagement{Promiscuous: !learning, MacChanges: true, ForgedTransmits: true, MACLearning: learning},
				// vSphere creates a switch rejecting all three.
				SwitchSecurity:      facts.DVSecurity{Promiscuous: set(false), MacChanges: set(false), ForgedTransmits: set(false)},
				SwitchMACManagement: &facts.DVMACManagement{},
				ActiveUplinks:       []string{"uplink1", "uplink2"},
				Hosts:               []string{"esxi-01"},
			}
			if d := cmp.Diff(want, pg); d != "" {
				t.Errorf("%s, MAC learning %v (-want +got):\n%s", n.Name, learning, d)
			}
		}
	}
}

func TestGatherVMACVariants(t *testing.T) {
	f := gather(t, sim.SharedVMAC("02:00:00:11:22:33"))
	if d := cmp.Diff(routerNICs(facts.KindStandard, "02:00:00:11:22:33"), placements(f)[sim.Router2].NICs); d != "" {
		t.Errorf("shared vmac (-want +got):\n%s", d)
	}
	f = gather(t, sim.Default().WithNICMAC(sim.Router2, "Public", ""))
	if d := cmp.Diff(routerNICs(facts.KindStandard, ""), placements(f)[sim.Router2].NICs); d != "" {
		t.Errorf("generated public MAC (-want +got):\n%s", d)
	}
}

func TestGatherMissingRouterAndOtherVMs(t *testing.T) {
	top := sim.Default().WithoutVM(sim.Router2).WithVM(sim.VM{
		Name: "web-01", Host: "esxi-01", Datastore: "datastore1", PoweredOn: true,
		NICs: []sim.NIC{{Network: "Public", MAC: "00:00:5e:00:01:02"}, {Network: "VM Network", MAC: "00:50:56:00:00:01"}},
	}).WithVM(sim.VM{
		Name: "db-01", Host: "esxi-01", Datastore: "datastore1",
		NICs: []sim.NIC{{Network: "VM Network", MAC: "00:50:56:00:00:02"}},
	})
	f := gather(t, top)
	if f.VMs[1].Name != sim.Router2 || f.VMs[1].Found {
		t.Errorf("missing router: %+v, want router-003 with Found=false", f.VMs[1])
	}
	if !f.VMs[0].Found {
		t.Errorf("router-002 not found")
	}
	pub, _ := f.Network("Public")
	want := []facts.AttachedNIC{{VM: "web-01", MAC: "00:00:5e:00:01:02"}}
	if d := cmp.Diff(want, pub.Attached); d != "" {
		t.Errorf("other VMs on Public (-want +got):\n%s", d)
	}
	if in, _ := f.Network("IntraNought"); len(in.Attached) != 0 {
		t.Errorf("IntraNought attached %v, want none", in.Attached)
	}
}

func TestGatherUnknownPortgroup(t *testing.T) {
	srv := startSim(t, sim.Default())
	s := open(t, srv.VSphereConfig())
	cfg := config.Simulator()
	cfg.Networks[0].Portgroup = "NoSuchPortgroup"
	f, err := s.Gather(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	if n, ok := f.Network("NoSuchPortgroup"); !ok || n.Found {
		t.Errorf("unknown portgroup: %+v (listed %v), want Found=false", n, ok)
	}
}

func TestGatherOpaque(t *testing.T) {
	f := gather(t, sim.Opaque())
	pub, _ := f.Network("Public")
	if !pub.Found || pub.Kind != facts.KindOpaque || pub.DVPortgroup != nil {
		t.Errorf("Public: %+v, want a found opaque network", pub)
	}
	nics := f.VMs[0].NICsOn("Public")
	if len(nics) != 1 || nics[0].Kind != facts.KindOpaque {
		t.Errorf("router-002 NICs on Public: %+v, want one opaque-backed NIC", nics)
	}
	if in, _ := f.Network("IntraNought"); in.Kind != facts.KindStandard {
		t.Errorf("IntraNought kind %q, want standard", in.Kind)
	}
}
