package sim_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

// start serves t for the test and returns a plain govmomi client logged in
// over HTTPS, verifying the server by its thumbprint.
func start(t *testing.T, top sim.Topology) (*sim.Server, *vim25.Client) {
	t.Helper()
	ctx := context.Background()
	srv, err := sim.Start(ctx, top, "")
	if err != nil {
		t.Fatalf("Start(%s): %v", top.Name, err)
	}
	t.Cleanup(srv.Close)
	u, err := soap.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	sc := soap.NewClient(u, false)
	sc.SetThumbprint(u.Host, srv.Thumbprint)
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	m := session.NewManager(vc)
	if err := m.Login(ctx, url.UserPassword(srv.Username, srv.Password.Reveal())); err != nil {
		t.Fatalf("login: %v", err)
	}
	t.Cleanup(func() { _ = m.Logout(context.Background()) })
	return srv, vc
}

func hostSystem(t *testing.T, c *vim25.Client, name string) *object.HostSystem {
	t.Helper()
	h, err := find.NewFinder(c, false).HostSystem(context.Background(), "*/"+name)
	if err != nil {
		// standalone hosts sit at /DC/host/NAME/NAME, clustered at /DC/host/CL/NAME
		h, err = find.NewFinder(c, false).HostSystem(context.Background(), "/"+sim.DefaultDatacenter+"/host/*/"+name)
	}
	if err != nil {
		t.Fatalf("find host %s: %v", name, err)
	}
	return h
}

// hostNetwork reads the host's config.network and the network system's
// networkInfo, which must agree.
func hostNetwork(t *testing.T, c *vim25.Client, h *object.HostSystem) *types.HostNetworkInfo {
	t.Helper()
	ctx := context.Background()
	var hs mo.HostSystem
	if err := h.Properties(ctx, h.Reference(), []string{"config.network", "configManager.networkSystem"}, &hs); err != nil {
		t.Fatal(err)
	}
	var ns mo.HostNetworkSystem
	if err := h.Properties(ctx, *hs.ConfigManager.NetworkSystem, []string{"networkInfo"}, &ns); err != nil {
		t.Fatal(err)
	}
	if len(ns.NetworkInfo.Portgroup) != len(hs.Config.Network.Portgroup) || len(ns.NetworkInfo.Vswitch) != len(hs.Config.Network.Vswitch) {
		t.Fatalf("networkInfo (%d portgroups) and config.network (%d) disagree", len(ns.NetworkInfo.Portgroup), len(hs.Config.Network.Portgroup))
	}
	return hs.Config.Network
}

func portgroup(t *testing.T, info *types.HostNetworkInfo, name string) types.HostPortGroup {
	t.Helper()
	for _, pg := range info.Portgroup {
		if pg.Spec.Name == name {
			return pg
		}
	}
	t.Fatalf("no portgroup %q", name)
	return types.HostPortGroup{}
}

func vswitch(t *testing.T, info *types.HostNetworkInfo, name string) types.HostVirtualSwitch {
	t.Helper()
	for _, vs := range info.Vswitch {
		if vs.Name == name {
			return vs
		}
	}
	t.Fatalf("no vSwitch %q", name)
	return types.HostVirtualSwitch{}
}

func b(v bool) *bool { return &v }

func str(p *bool) string {
	switch {
	case p == nil:
		return "unset"
	case *p:
		return "Accept"
	}
	return "Reject"
}

func wantSecurity(t *testing.T, what string, got *types.HostNetworkSecurityPolicy, promisc, mac, forged string) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no security policy", what)
	}
	if str(got.AllowPromiscuous) != promisc || str(got.MacChanges) != mac || str(got.ForgedTransmits) != forged {
		t.Errorf("%s: promiscuous %s, MAC changes %s, forged transmits %s; want %s, %s, %s", what,
			str(got.AllowPromiscuous), str(got.MacChanges), str(got.ForgedTransmits), promisc, mac, forged)
	}
}
