package sim

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// The simulator's collector answers every kind of retrieval exactly as
// vcsim's own PropertyCollector does (compared as the SOAP XML both
// encode to): container views, references, keyed paths, All, named
// recursive traversals, inherited types, invalid paths, missing objects,
// undefined selection specs, and callers without a session.
func TestCollectorAnswersAsVcsim(t *testing.T) {
	srv, err := Start(context.Background(), Default().WithInventory(Inventory{Hosts: 3, VMs: 12}), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	m := srv.model.Service.Context.Map
	session := &simulator.Session{UserSession: types.UserSession{Key: "collector-test", UserName: Username},
		Registry: simulator.NewRegistry(), Map: m}
	ctx := &simulator.Context{Context: context.Background(), Session: session, Map: m}
	ours, ok := m.Get(m.Get(vimServiceInstance()).(*simulator.ServiceInstance).Content.PropertyCollector).(*pagedCollector)
	if !ok {
		t.Fatal("the registry's PropertyCollector is not the simulator's own")
	}
	root := srv.model.Service.Context.Map.Get(vimServiceInstance()).(*simulator.ServiceInstance).Content.RootFolder
	viewBody := m.ViewManager().CreateContainerView(ctx, &types.CreateContainerView{
		This: m.ViewManager().Self, Container: root, Recursive: true,
		Type: []string{"VirtualMachine", "HostSystem", "ComputeResource", "Network", "DistributedVirtualSwitch", "Datastore"},
	}).(*methods.CreateContainerViewBody)
	view := viewBody.Res.Returnval

	refsOf := func(kinds ...string) []types.ObjectSpec {
		var out []types.ObjectSpec
		for _, k := range kinds {
			for _, e := range m.All(k) {
				out = append(out, types.ObjectSpec{Obj: e.Reference()})
			}
		}
		return out
	}
	yes, no := types.NewBool(true), types.NewBool(false)
	viewSpec := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: view, Skip: yes, SelectSet: []types.BaseSelectionSpec{
			&types.TraversalSpec{Type: "ContainerView", Path: "view", Skip: no}}}},
		PropSet: []types.PropertySpec{
			{Type: "VirtualMachine", PathSet: []string{"name", "network", "runtime.host", "name", "nosuch", "config.nosuch", "runtime.host.value"}},
			{Type: "HostSystem", PathSet: []string{"name", "parent", "vm", "datastore"}},
			{Type: "ComputeResource", PathSet: []string{"name", "host"}},
			{Type: "Network", PathSet: []string{"name"}},
			{Type: "DistributedVirtualPortgroup", PathSet: []string{"name", "key", "config.distributedVirtualSwitch"}},
			{Type: "OpaqueNetwork", PathSet: []string{"name", "summary"}},
			{Type: "VmwareDistributedVirtualSwitch", PathSet: []string{"name", "uuid"}},
			{Type: "Datastore", PathSet: []string{"name", "summary.capacity"}},
		},
	}
	detailSpec := types.PropertyFilterSpec{
		ObjectSet: refsOf("VirtualMachine", "HostSystem", "ClusterComputeResource", "DistributedVirtualPortgroup", "VmwareDistributedVirtualSwitch"),
		PropSet: []types.PropertySpec{
			{Type: "VirtualMachine", PathSet: []string{"runtime.powerState", "config.hardware.device", "datastore", "guest.net", "config.extraConfig"}},
			{Type: "HostSystem", PathSet: []string{"runtime.connectionState", "config.network.vswitch", "config.network.portgroup",
				`config.option["Net.ReversePathFwdCheckPromisc"]`, `config.option["No.Such.Option"]`, `config.network.vswitch["vSwitch0"].mtu`}},
			{Type: "ClusterComputeResource", PathSet: []string{"configurationEx", "summary"}},
			{Type: "DistributedVirtualPortgroup", PathSet: []string{"config.configVersion", "config.defaultPortConfig"}},
			{Type: "DistributedVirtualSwitch", PathSet: []string{"config.defaultPortConfig", "config.uplinkPortgroup", "summary.hostMember"}},
			{Type: "ManagedEntity", PathSet: []string{"name", "parent"}},
		},
	}
	all := types.PropertyFilterSpec{
		ObjectSet: refsOf("VirtualMachine", "HostSystem", "ClusterComputeResource", "DistributedVirtualPortgroup", "Datastore", "Folder", "Datacenter"),
		PropSet:   []types.PropertySpec{{Type: "ManagedEntity", All: yes}, {Type: "VirtualMachine", PathSet: []string{"name"}}},
	}
	visit := &types.TraversalSpec{SelectionSpec: types.SelectionSpec{Name: "visitFolders"}, Type: "Folder", Path: "childEntity", Skip: no,
		SelectSet: []types.BaseSelectionSpec{
			&types.SelectionSpec{Name: "visitFolders"},
			&types.TraversalSpec{Type: "Datacenter", Path: "vmFolder", Skip: no, SelectSet: []types.BaseSelectionSpec{&types.SelectionSpec{Name: "visitFolders"}}},
			&types.TraversalSpec{Type: "Datacenter", Path: "hostFolder", SelectSet: []types.BaseSelectionSpec{&types.SelectionSpec{Name: "visitFolders"}}},
			&types.TraversalSpec{Type: "Datacenter", Path: "networkFolder", Skip: no, SelectSet: []types.BaseSelectionSpec{&types.SelectionSpec{Name: "visitFolders"}}},
			&types.TraversalSpec{Type: "ComputeResource", Path: "host", Skip: no},
		}}
	tree := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: root, SelectSet: []types.BaseSelectionSpec{visit}}},
		PropSet:   []types.PropertySpec{{Type: "ManagedEntity", PathSet: []string{"name", "parent"}}, {Type: "HostSystem", PathSet: []string{"runtime.inMaintenanceMode"}}},
	}
	gone := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-gone"}
	missing := types.PropertyFilterSpec{ObjectSet: []types.ObjectSpec{{Obj: gone}}, PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name"}}}}
	reported := missing
	reported.ReportMissingObjectsInResults = yes
	reported.ObjectSet = append(reported.ObjectSet, refsOf("Datacenter")...)
	reported.PropSet = append(reported.PropSet, types.PropertySpec{Type: "Datacenter", PathSet: []string{"name"}})
	undefined := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: root, SelectSet: []types.BaseSelectionSpec{&types.SelectionSpec{Name: "nowhere"}}}},
		PropSet:   []types.PropertySpec{{Type: "Folder", PathSet: []string{"name"}}},
	}

	cases := []struct {
		name  string
		specs []types.PropertyFilterSpec
		anon  bool // no session
	}{
		{"container view", []types.PropertyFilterSpec{viewSpec}, false},
		{"by reference, keyed paths", []types.PropertyFilterSpec{detailSpec}, false},
		{"all properties", []types.PropertyFilterSpec{all}, false},
		{"named recursive traversal", []types.PropertyFilterSpec{tree}, false},
		{"two filter specs", []types.PropertyFilterSpec{tree, viewSpec}, false},
		{"missing object", []types.PropertyFilterSpec{missing}, false},
		{"missing object reported", []types.PropertyFilterSpec{reported}, false},
		{"undefined selection spec", []types.PropertyFilterSpec{undefined}, false},
		{"no session", []types.PropertyFilterSpec{viewSpec, detailSpec}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ctx
			if tc.anon {
				c = &simulator.Context{Context: context.Background(), Map: m}
			}
			req := &types.RetrievePropertiesEx{This: ours.Self, SpecSet: tc.specs}
			want := encodeAnswer(t, (&simulator.PropertyCollector{}).RetrievePropertiesEx(c, req))
			got := encodeAnswer(t, ours.RetrievePropertiesEx(c, req))
			if got != want {
				t.Errorf("answer differs from vcsim's:\n got %.3000s\nwant %.3000s", got, want)
			}
			if len(want) < 100 {
				t.Errorf("vcsim's answer %q is too small to prove anything", want)
			}
		})
	}
}

// encodeAnswer is a retrieval's answer (result or fault) as SOAP XML.
func encodeAnswer(t *testing.T, res soap.HasFault) string {
	t.Helper()
	body := res.(*methods.RetrievePropertiesExBody)
	var v any = body.Res
	if body.Fault_ != nil {
		v = body.Fault_
	}
	b, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func vimServiceInstance() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}
}

// A paged retrieval answers, page by page, the objects one unpaged
// retrieval does; its token serves once, and a cancelled one not at all.
func TestCollectorPages(t *testing.T) {
	srv, err := Start(context.Background(), Default().WithInventory(Inventory{Hosts: 2, VMs: 23}), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	m := srv.model.Service.Context.Map
	ctx := &simulator.Context{Context: context.Background(), Map: m,
		Session: &simulator.Session{UserSession: types.UserSession{Key: "pages-test", UserName: Username}, Registry: simulator.NewRegistry(), Map: m}}
	content := m.Get(vimServiceInstance()).(*simulator.ServiceInstance).Content
	pc := m.Get(content.PropertyCollector).(*pagedCollector)
	var objs []types.ObjectSpec
	for _, e := range m.All("VirtualMachine") {
		objs = append(objs, types.ObjectSpec{Obj: e.Reference()})
	}
	spec := []types.PropertyFilterSpec{{ObjectSet: objs, PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name", "network"}}}}}
	whole := pc.RetrievePropertiesEx(ctx, &types.RetrievePropertiesEx{This: pc.Self, SpecSet: spec}).(*methods.RetrievePropertiesExBody).Res.Returnval
	if whole.Token != "" || len(whole.Objects) != len(objs) {
		t.Fatalf("unpaged: %d objects, token %q; want %d, none", len(whole.Objects), whole.Token, len(objs))
	}
	first := pc.RetrievePropertiesEx(ctx, &types.RetrievePropertiesEx{This: pc.Self, SpecSet: spec, Options: types.RetrieveOptions{MaxObjects: 10}}).(*methods.RetrievePropertiesExBody).Res.Returnval
	paged, token, pages := first.Objects, first.Token, 1
	for token != "" {
		if len(paged) != 10*pages {
			t.Fatalf("after %d pages %d objects, want %d", pages, len(paged), 10*pages)
		}
		body := pc.ContinueRetrievePropertiesEx(ctx, &types.ContinueRetrievePropertiesEx{This: pc.Self, Token: token}).(*methods.ContinueRetrievePropertiesExBody)
		if body.Fault_ != nil {
			t.Fatalf("continue: %v", body.Fault_.String)
		}
		if again := pc.ContinueRetrievePropertiesEx(ctx, &types.ContinueRetrievePropertiesEx{This: pc.Self, Token: token}).(*methods.ContinueRetrievePropertiesExBody); again.Fault_ == nil {
			t.Fatal("a token served twice")
		}
		paged, token = append(paged, body.Res.Returnval.Objects...), body.Res.Returnval.Token
		pages++
	}
	if want := (len(objs) + 9) / 10; pages != want {
		t.Errorf("%d pages, want %d", pages, want)
	}
	a, _ := xml.Marshal(whole.Objects)
	b, _ := xml.Marshal(paged)
	if string(a) != string(b) {
		t.Errorf("pages differ from the unpaged answer:\n got %.2000s\nwant %.2000s", b, a)
	}
	first = pc.RetrievePropertiesEx(ctx, &types.RetrievePropertiesEx{This: pc.Self, SpecSet: spec, Options: types.RetrieveOptions{MaxObjects: 10}}).(*methods.RetrievePropertiesExBody).Res.Returnval
	if body := pc.CancelRetrievePropertiesEx(ctx, &types.CancelRetrievePropertiesEx{This: pc.Self, Token: first.Token}).(*methods.CancelRetrievePropertiesExBody); body.Fault_ != nil {
		t.Fatalf("cancel: %v", body.Fault_.String)
	}
	if body := pc.ContinueRetrievePropertiesEx(ctx, &types.ContinueRetrievePropertiesEx{This: pc.Self, Token: first.Token}).(*methods.ContinueRetrievePropertiesExBody); body.Fault_ == nil {
		t.Error("a cancelled token served a page")
	}
}
