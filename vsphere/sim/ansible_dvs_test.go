package sim_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// api67Distributed is the distributed topology as a vCenter 6.7 serves it,
// the routers' internal portgroup rejecting promiscuous mode (in its
// security and its MAC management policy alike), as vSphere creates one.
func api67Distributed() sim.Topology {
	top := sim.Distributed(false)
	top.Name, top.API = "distributed-6.7", "6.7"
	pg := &top.Switches[0].Portgroups[0]
	if pg.Name != sim.PortgroupInternal {
		panic("sim.Distributed's first portgroup is " + pg.Name)
	}
	pg.Security = &sim.DVSecurity{MacChanges: true, ForgedTransmits: true}
	pg.MACManagement = &sim.MACManagement{MacChanges: true, ForgedTransmits: true}
	return top
}

// TestAPI67Views: a server of Topology.API 6.7 advertises 6.7 where
// clients pick their version (about.apiVersion, vimServiceVersions.xml),
// and answers a 6.7 client with a distributed port's macManagementPolicy,
// which API 6.7 added; a 6.5 client is answered without it.
func TestAPI67Views(t *testing.T) {
	srv, newest := start(t, api67Distributed())
	ctx := context.Background()
	pgRef, err := find.NewFinder(newest, false).Network(ctx, "/"+sim.DefaultDatacenter+"/network/"+sim.PortgroupInternal)
	if err != nil {
		t.Fatal(err)
	}
	u, err := soap.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for api, wantMAC := range map[string]bool{"6.7": true, "6.5": false} {
		sc := soap.NewClient(u, false)
		sc.SetThumbprint(u.Host, srv.Thumbprint)
		sc.Version = api
		c, err := vim25.NewClient(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ServiceContent.About.ApiVersion; got != "6.7" {
			t.Errorf("API %s client: about.apiVersion %q, want 6.7", api, got)
		}
		if err := session.NewManager(c).Login(ctx, url.UserPassword(srv.Username, srv.Password.Reveal())); err != nil {
			t.Fatalf("API %s client: login: %v", api, err)
		}
		var pg mo.DistributedVirtualPortgroup
		if err := property.DefaultCollector(c).RetrieveOne(ctx, pgRef.Reference(), []string{"config.defaultPortConfig"}, &pg); err != nil {
			t.Fatalf("API %s client: %v", api, err)
		}
		setting, ok := pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
		if !ok {
			t.Fatalf("API %s client: defaultPortConfig is %T", api, pg.Config.DefaultPortConfig)
		}
		if got := setting.MacManagementPolicy != nil; got != wantMAC {
			t.Errorf("API %s client: macManagementPolicy sent %t, want %t", api, got, wantMAC)
		}
		if setting.SecurityPolicy == nil {
			t.Errorf("API %s client: no securityPolicy", api)
		}
	}
	if body := serviceVersions(t, srv); !strings.Contains(body, "<version>6.7</version>") {
		t.Errorf("vimServiceVersions.xml does not advertise 6.7:\n%s", body)
	}
}

// TestAnsibleDVSPortgroupAPI67: against a vCenter 6.7, community.vmware's
// vmware_dvs_portgroup_info reports a distributed portgroup's network
// policy and MAC learning (both from macManagementPolicy, which a 6.5
// server does not send), vmware_dvs_portgroup accepts promiscuous mode on
// the routers' internal portgroup, and carpvm preflight, logged in from
// the same credentials file, sees it: security.promiscuous goes from fail
// to pass on intranought.
func TestAnsibleDVSPortgroupAPI67(t *testing.T) {
	playbook := ansiblePlaybook(t)
	py := pythonWithPyvmomi(t)
	carpvm := testbin.Carpvm(t)
	top := api67Distributed()
	srv, err := sim.Start(context.Background(), top, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	credsFile := filepath.Join(t.TempDir(), "sim.env")
	if err := srv.WriteCredentials(credsFile); err != nil {
		t.Fatal(err)
	}
	creds, err := readCredentials(credsFile)
	if err != nil {
		t.Fatal(err)
	}
	key := string(preflight.CheckPromiscuous) + "/intranought"
	if before := preflightFromCredentials(t, carpvm, creds); before[key] != preflight.Fail {
		t.Fatalf("before the playbook: %s is %q, want fail (the portgroup rejects promiscuous mode)", key, before[key])
	}

	sw := top.Switches[0]
	out := runPlaybook(t, playbook, "dvs.yml", map[string]any{"datacenter": top.Datacenter, "dvswitch": sw.Name,
		"portgroup": sw.Portgroups[0].Name, "vlan": sw.Portgroups[0].VLAN}, creds, py)
	if !strings.Contains(string(out), "changed=1") || !strings.Contains(string(out), "failed=0") {
		t.Errorf("want one change and no failure in the recap:\n%s", out)
	}
	if after := preflightFromCredentials(t, carpvm, creds); after[key] != preflight.Pass {
		t.Errorf("after vmware_dvs_portgroup accepted promiscuous mode on %s: %s is %q, want pass", sw.Portgroups[0].Name, key, after[key])
	}
}
