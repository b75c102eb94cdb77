package sim

import (
	"strings"
	"testing"
)

// WithInventory grows a topology the way a large vCenter is laid out,
// leaving the topology's own objects as they were.
func TestWithInventory(t *testing.T) {
	base := Default()
	g := Inventory{Hosts: 130, VMs: 1000}
	grown := base.WithInventory(g)
	if err := grown.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := len(grown.Hosts), len(base.Hosts)+g.Hosts; got != want {
		t.Errorf("%d hosts, want %d", got, want)
	}
	if got, want := len(grown.VMs), len(base.VMs)+g.VMs; got != want {
		t.Errorf("%d VMs, want %d", got, want)
	}
	// 130 hosts: clusters of 64, 64 and 2.
	perCluster := map[string]int{}
	for _, h := range grown.Hosts[len(base.Hosts):] {
		perCluster[h.Cluster]++
	}
	if len(perCluster) != 3 || perCluster["Inventory-001"] != MaxClusterHosts || perCluster["Inventory-003"] != 2 {
		t.Errorf("hosts per cluster %v, want 64, 64, 2", perCluster)
	}
	var sw *DVSwitch
	for i := range grown.Switches {
		if grown.Switches[i].Name == grownSwitch {
			sw = &grown.Switches[i]
		}
	}
	if sw == nil || len(sw.Hosts) != g.Hosts {
		t.Fatalf("distributed switch %s missing or not spanning the %d added hosts", grownSwitch, g.Hosts)
	}
	onHost := map[string]int{}
	routerNICs := map[string]int{}
	for _, vm := range grown.VMs[len(base.VMs):] {
		onHost[vm.Host]++
		if !vm.PoweredOn {
			t.Errorf("VM %s is powered off", vm.Name)
		}
		for _, n := range vm.NICs {
			if n.Network == PortgroupPublic || n.Network == PortgroupInternal {
				routerNICs[n.Network]++
			}
		}
	}
	if len(onHost) != g.Hosts {
		t.Errorf("VMs on %d hosts, want spread over all %d", len(onHost), g.Hosts)
	}
	// Every 100th added VM, alternately on Public and IntraNought.
	if routerNICs[PortgroupPublic] != 5 || routerNICs[PortgroupInternal] != 5 {
		t.Errorf("NICs on the routers' portgroups %v, want 5 on each", routerNICs)
	}
	for i := range base.VMs {
		if grown.VMs[i].Name != base.VMs[i].Name || grown.VMs[i].Host != base.VMs[i].Host {
			t.Errorf("VM %d changed: %+v", i, grown.VMs[i])
		}
	}
	if len(base.Hosts) != 1 || len(base.Switches) != 0 {
		t.Error("WithInventory changed the topology it was called on")
	}
	if !strings.HasPrefix(grown.Name, "default+") {
		t.Errorf("name %q does not say it was grown", grown.Name)
	}
}

func TestSpecRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    Inventory
		spec string
	}{
		{"default", Inventory{}, "default"},
		{"cluster", Inventory{Hosts: 2500, VMs: 40000}, "cluster+2500,40000"},
	} {
		spec := Spec(tc.name, tc.g)
		if spec != tc.spec {
			t.Errorf("Spec(%s, %+v) = %q, want %q", tc.name, tc.g, spec, tc.spec)
		}
		name, g, err := ParseSpec(spec)
		if err != nil || name != tc.name || g != tc.g {
			t.Errorf("ParseSpec(%q) = %q, %+v, %v", spec, name, g, err)
		}
	}
}

func TestInventoryRefused(t *testing.T) {
	for _, tc := range []struct {
		g    Inventory
		want string
	}{
		{Inventory{Hosts: -1}, "--inventory-hosts -1"},
		{Inventory{Hosts: 2501}, "--inventory-hosts 2501"},
		{Inventory{Hosts: 1, VMs: 40001}, "--inventory-vms 40001"},
		{Inventory{VMs: 5}, "needs --inventory-hosts"},
	} {
		err := tc.g.Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%+v) = %v, want an error naming %q", tc.g, err, tc.want)
		}
	}
	for _, spec := range []string{"default+x,1", "default+5", "nosuch"} {
		if _, err := Lookup(spec); err == nil {
			t.Errorf("Lookup(%q) accepted", spec)
		}
	}
}
