package sim_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		top  sim.Topology
		want string
	}{
		{"unknown host", sim.Default().WithVM(sim.VM{Name: "x", Host: "esxi-09", Datastore: "datastore1"}), `unknown host "esxi-09"`},
		{"datastore not on host", func() sim.Topology {
			t := sim.SeparateStandaloneHosts()
			t.VMs[0].Datastore = "datastore2"
			return t
		}(), `datastore "datastore2" is not mounted on host "esxi-01"`},
		{"unknown network", sim.Default().WithVM(sim.VM{Name: "x", Host: "esxi-01", Datastore: "datastore1", NICs: []sim.NIC{{Network: "Nowhere"}}}), `unknown network "Nowhere"`},
		{"bad MAC", sim.SharedVMAC("02:00:zz:00:00:01"), `is not a 48-bit MAC address`},
		{"duplicate VM", sim.Default().WithVM(sim.VM{Name: sim.Router1, Host: "esxi-01", Datastore: "datastore1"}), `VM name "router-002" is empty or repeated`},
		{"rule with unknown VM", func() sim.Topology {
			t := sim.Cluster(3, true)
			t.Rules[0].VMs = []string{"ghost"}
			return t
		}(), `names unknown VM "ghost"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.top.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
			if _, err := sim.Start(context.Background(), tt.top, ""); err == nil {
				t.Fatal("Start accepted an invalid topology")
			}
		})
	}
	for name, build := range sim.Topologies() {
		if err := build().Validate(); err != nil {
			t.Errorf("topology %s: %v", name, err)
		}
	}
}

func TestStartBusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := sim.Start(context.Background(), sim.Default(), l.Addr().String()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Start on a busy address: %v, want a listen error", err)
	}
	if _, err := sim.Start(context.Background(), sim.Default(), "no-port"); err == nil || !strings.Contains(err.Error(), "HOST:PORT") {
		t.Fatalf("Start on a malformed address: %v", err)
	}
}

// Routers are where the topology says, not where vcsim's random placement
// would put them, and the cluster's hosts all see Public.
func TestPlacement(t *testing.T) {
	_, c := start(t, sim.Cluster(3, false))
	ctx := context.Background()
	f := find.NewFinder(c, false)
	want := map[string]string{sim.Router1: "esxi-01", sim.Router2: "esxi-02"}
	for vmName, hostName := range want {
		vm, err := f.VirtualMachine(ctx, "/"+sim.DefaultDatacenter+"/vm/"+vmName)
		if err != nil {
			t.Fatal(err)
		}
		h, err := vm.HostSystem(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := h.ObjectName(ctx); got != hostName {
			t.Errorf("%s on %s, want %s", vmName, got, hostName)
		}
	}
	n, err := f.Network(ctx, "/"+sim.DefaultDatacenter+"/network/"+sim.PortgroupPublic)
	if err != nil {
		t.Fatal(err)
	}
	var net mo.Network
	if err := property.DefaultCollector(c).RetrieveOne(ctx, n.Reference(), []string{"host"}, &net); err != nil {
		t.Fatal(err)
	}
	if len(net.Host) != 3 {
		t.Errorf("Public is on %d hosts, want 3", len(net.Host))
	}
}

// TestServiceContentMatchesAdvertisedAPI: a client speaking the API
// version the server advertises (6.5) is sent a ServiceContent naming no
// manager newer than that, so that clients knowing only that version's
// types (pyvmomi 6.7) can log in; a client speaking vim25's newest version
// (carpvm) is sent vcsim's whole ServiceContent.
func TestServiceContentMatchesAdvertisedAPI(t *testing.T) {
	srv, newest := start(t, sim.Default())
	if newest.ServiceContent.TenantManager == nil {
		t.Errorf("a client of API %s lacks ServiceContent.tenantManager (vSphere 6.7)", newest.Version)
	}
	u, err := soap.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	sc6 := soap.NewClient(u, false)
	sc6.SetThumbprint(u.Host, srv.Thumbprint)
	sc6.Version = "6.5"
	c, err := vim25.NewClient(context.Background(), sc6)
	if err != nil {
		t.Fatal(err)
	}
	sc := c.ServiceContent
	if sc.About.ApiVersion != "6.5" {
		t.Fatalf("about.apiVersion %q, want 6.5", sc.About.ApiVersion)
	}
	newer := map[string]*types.ManagedObjectReference{
		"guestCustomizationManager": sc.GuestCustomizationManager,
		"tenantManager":             sc.TenantManager,
		"siteInfoManager":           sc.SiteInfoManager,
		"storageQueryManager":       sc.StorageQueryManager,
		"directPathProfileManager":  sc.DirectPathProfileManager,
	}
	for name, ref := range newer {
		if ref != nil {
			t.Errorf("ServiceContent.%s = %v for a client of API 6.5", name, ref)
		}
	}
	if sc.SessionManager == nil || sc.PropertyCollector.Value == "" {
		t.Errorf("ServiceContent lost the managers a 6.5 client needs: %+v", sc)
	}

	// vimServiceVersions.xml, where pyvmomi picks its version, says the same.
	if body := serviceVersions(t, srv); !strings.Contains(body, "<version>"+sc.About.ApiVersion+"</version>") {
		t.Errorf("vimServiceVersions.xml does not advertise %s:\n%s", sc.About.ApiVersion, body)
	}
}

// serviceVersions is srv's vimServiceVersions.xml, where pyvmomi picks
// its API version.
func serviceVersions(t *testing.T, srv *sim.Server) string {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: certPool(srv)}}}
	res, err := hc.Get(strings.TrimSuffix(srv.URL, "/sdk") + "/sdk/vimServiceVersions.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func certPool(srv *sim.Server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(srv.Certificate)
	return p
}
