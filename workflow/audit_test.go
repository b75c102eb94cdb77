package workflow

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/audit"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/vsphere/sim"
)

func accept() *bool { b := true; return &b }
func reject() *bool { b := false; return &b }

var allAccept = facts.Security{Promiscuous: accept(), MacChanges: accept(), ForgedTransmits: accept()}

// hardened is the default topology under the baseline: every vSwitch
// rejects all three settings, and the two router portgroups override to
// Accept what CARP needs: all three on IntraNought, MAC changes and forged
// transmits on Public (its vmac needs no promiscuous mode).
func hardened() sim.Topology {
	t := sim.Default()
	h := &t.Hosts[0]
	for i := range h.VSwitches {
		h.VSwitches[i].Security = facts.Security{Promiscuous: reject(), MacChanges: reject(), ForgedTransmits: reject()}
	}
	for i, pg := range h.Portgroups {
		switch pg.Name {
		case sim.PortgroupInternal:
			h.Portgroups[i].Security = allAccept
		case sim.PortgroupPublic:
			h.Portgroups[i].Security = facts.Security{MacChanges: accept(), ForgedTransmits: accept()}
		}
	}
	return t
}

func portgroup(t *sim.Topology, name string) *sim.Portgroup {
	for i := range t.Hosts[0].Portgroups {
		if t.Hosts[0].Portgroups[i].Name == name {
			return &t.Hosts[0].Portgroups[i]
		}
	}
	panic("no portgroup " + name)
}

// auditTopology serves topo on a simulator of its own and audits it
// through the vSphere API, as carpvm audit does, against pairs (the
// simulator's pair when none).
func auditTopology(t *testing.T, topo sim.Topology, pairs ...*config.Config) audit.Report {
	t.Helper()
	ctx := context.Background()
	srv, err := sim.Start(ctx, topo, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if len(pairs) == 0 {
		pairs = []*config.Config{config.Simulator()}
	}
	for _, p := range pairs {
		p.VSphere = srv.VSphereConfig()
	}
	rep, err := Audit(ctx, pairs, FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// exceptionsOn returns the exceptions on object for setting.
func exceptionsOn(rep audit.Report, object, setting string) []audit.Exception {
	var out []audit.Exception
	for _, e := range rep.Exceptions {
		if e.Object == object && e.Setting == setting {
			out = append(out, e)
		}
	}
	return out
}

func one(t *testing.T, rep audit.Report, object, setting string) audit.Exception {
	t.Helper()
	got := exceptionsOn(rep, object, setting)
	if len(got) != 1 {
		t.Fatalf("%d exception(s) for %s %s, want 1; report: %+v", len(got), object, setting, rep.Exceptions)
	}
	return got[0]
}

func TestAuditHardenedIsAllJustified(t *testing.T) {
	rep := auditTopology(t, hardened())
	if rep.Failed() || rep.Summary != (audit.Summary{Justified: 5}) {
		t.Fatalf("summary %+v, failed %v; want 5 justified (3 settings on IntraNought, 2 on Public): %+v", rep.Summary, rep.Failed(), rep.Exceptions)
	}
	e := one(t, rep, "portgroup IntraNought on esxi-01", "promiscuous")
	if e.Pair != "routers" || e.Network != "intranought" || e.Source != "set here" ||
		!strings.Contains(e.Reason, "vhid 1") || !strings.Contains(e.Reason, "00:00:5e:00:01:01") ||
		!slices.Contains(e.Rules, "STIG ESXI-80-000218") || !slices.Contains(e.Reaches, "vm router-002") {
		t.Errorf("IntraNought promiscuous: %+v", e)
	}
}

func TestAuditVSwitchAcceptIsBroader(t *testing.T) {
	topo := hardened()
	topo.Hosts[0].VSwitches[0].Security.MacChanges = accept() // vSwitch0: VM Network, Management Network, Public
	portgroup(&topo, sim.PortgroupPublic).Security.MacChanges = nil
	rep := auditTopology(t, topo)
	e := one(t, rep, "vswitch vSwitch0 on esxi-01", "mac_changes")
	if e.Class != audit.Broader || !slices.Contains(e.Reaches, "portgroup VM Network") || e.Network != "public" ||
		!strings.Contains(e.Fix, "overrides MAC address changes to Accept on portgroup Public, then sets it to Reject on vSwitch0") {
		t.Errorf("vSwitch0 MAC changes: %+v", e)
	}
	if pub := one(t, rep, "portgroup Public on esxi-01", "mac_changes"); pub.Class != audit.Justified || pub.Source != "inherited from vSwitch0" {
		t.Errorf("Public MAC changes: %+v", pub)
	}
	if got := exceptionsOn(rep, "portgroup VM Network on esxi-01", "mac_changes"); len(got) != 0 {
		t.Errorf("VM Network has rows of its own, want it reached by vSwitch0's: %+v", got)
	}
	if !rep.Failed() {
		t.Error("a broader exception does not fail the audit")
	}
}

func TestAuditNonRouterOnRouterPortgroupIsBroader(t *testing.T) {
	topo := hardened().WithVM(sim.VM{Name: "web-01", Host: "esxi-01", Datastore: "datastore1", PoweredOn: true,
		NICs: []sim.NIC{{Network: sim.PortgroupInternal}}})
	rep := auditTopology(t, topo)
	for _, s := range []string{"promiscuous", "mac_changes", "forged_transmits"} {
		e := one(t, rep, "portgroup IntraNought on esxi-01", s)
		if e.Class != audit.Broader || !strings.Contains(e.Reason, "web-01") || !slices.Contains(e.Reaches, "vm web-01") ||
			!strings.Contains(e.Fix, `govc host.portgroup.add -host esxi-01 -vswitch vSwitch1 -vlan 0 "IntraNought-servers"`) ||
			!strings.Contains(e.Fix, `govc vm.network.change -vm web-01 -net "IntraNought-servers" NIC`) || strings.Contains(e.Fix, "router-00") {
			t.Errorf("IntraNought %s: %+v", s, e)
		}
	}
	if e := one(t, rep, "portgroup Public on esxi-01", "forged_transmits"); e.Class != audit.Justified {
		t.Errorf("Public forged transmits: %+v", e)
	}
}

// Public's vmac needs no promiscuous mode (preflight's rule): an Accept
// there is the one its network does not need, set on the portgroup or
// inherited from the vSwitch.
func TestAuditPromiscuousOnAVMACNetworkIsUnjustified(t *testing.T) {
	topo := hardened()
	portgroup(&topo, sim.PortgroupPublic).Security.Promiscuous = accept()
	rep := auditTopology(t, topo)
	e := one(t, rep, "portgroup Public on esxi-01", "promiscuous")
	if e.Class != audit.Unjustified || !strings.Contains(e.Reason, "vmac 02:00:00:aa:bb:cc") || !strings.Contains(e.Fix, "set Promiscuous mode to Reject") {
		t.Errorf("Public promiscuous: %+v", e)
	}
	if rep.Summary != (audit.Summary{Justified: 5, Unjustified: 1}) {
		t.Errorf("summary %+v, want 5 justified, 1 unjustified", rep.Summary)
	}
	topo = hardened()
	topo.Hosts[0].VSwitches[0].Security.Promiscuous = accept()
	rep = auditTopology(t, topo)
	if sw := one(t, rep, "vswitch vSwitch0 on esxi-01", "promiscuous"); sw.Class != audit.Unjustified || !slices.Contains(sw.Reaches, "portgroup Public") {
		t.Errorf("vSwitch0 promiscuous, which Public inherits and does not need: %+v", sw)
	}
}

func TestAuditAcceptWithNoPairIsUnjustified(t *testing.T) {
	topo := hardened()
	portgroup(&topo, "VM Network").Security.ForgedTransmits = accept()
	rep := auditTopology(t, topo)
	e := one(t, rep, "portgroup VM Network on esxi-01", "forged_transmits")
	if e.Class != audit.Unjustified || e.Pair != "" || e.Source != "set here" || !strings.Contains(e.Fix, "set Forged transmits to Reject") {
		t.Errorf("VM Network forged transmits: %+v", e)
	}
	if rep.Summary != (audit.Summary{Justified: 5, Unjustified: 1}) {
		t.Errorf("summary %+v, want 5 justified, 1 unjustified", rep.Summary)
	}
}

func TestAuditDistributedSwitch(t *testing.T) {
	topo := sim.Distributed(false)
	topo.Hosts[0].VSwitches[0].Security = facts.Security{Promiscuous: reject(), MacChanges: reject(), ForgedTransmits: reject()}
	topo.Switches[0].MACManagement.ForgedTransmits = true // the switch's default, which its uplink portgroup inherits
	rep := auditTopology(t, topo)
	if e := one(t, rep, "dvportgroup IntraNought on DSwitch", "promiscuous"); e.Class != audit.Justified ||
		!slices.Contains(e.Rules, "STIG VCSA-80-000270") || !slices.Contains(e.Rules, "SCG vNetwork.reject-promiscuous-mode-dvportgroup") {
		t.Errorf("dvportgroup IntraNought promiscuous: %+v", e)
	}
	sw := one(t, rep, "dvswitch DSwitch", "forged_transmits")
	if sw.Class != audit.Unjustified || slices.Contains(sw.Reaches, "dvportgroup IntraNought") {
		t.Errorf("DSwitch forged transmits (the router portgroups set their own): %+v", sw)
	}
	if e := one(t, rep, "dvportgroup Public on DSwitch", "promiscuous"); e.Class != audit.Unjustified {
		t.Errorf("dvportgroup Public promiscuous (its vmac needs none): %+v", e)
	}
	if rep.Summary != (audit.Summary{Justified: 5, Unjustified: 2}) {
		t.Errorf("summary %+v, want 5 justified, 2 unjustified", rep.Summary)
	}
}

// With MAC learning on, preflight's rule needs no promiscuous mode: an
// Accept there is the one the network does not need.
func TestAuditMACLearningMakesPromiscuousUnjustified(t *testing.T) {
	topo := sim.Distributed(true)
	topo.Hosts[0].VSwitches[0].Security = facts.Security{Promiscuous: reject(), MacChanges: reject(), ForgedTransmits: reject()}
	for i := range topo.Switches[0].Portgroups {
		topo.Switches[0].Portgroups[i].MACManagement.Promiscuous = true
	}
	rep := auditTopology(t, topo)
	e := one(t, rep, "dvportgroup IntraNought on DSwitch", "promiscuous")
	if e.Class != audit.Unjustified || !strings.Contains(e.Reason, "MAC learning is on, so promiscuous mode is not needed") {
		t.Errorf("promiscuous with MAC learning: %+v", e)
	}
	if e := one(t, rep, "dvportgroup IntraNought on DSwitch", "forged_transmits"); e.Class != audit.Justified {
		t.Errorf("forged transmits with MAC learning: %+v", e)
	}
	if rep.Summary != (audit.Summary{Justified: 4, Unjustified: 2}) {
		t.Errorf("summary %+v, want 4 justified, 2 unjustified", rep.Summary)
	}
}

// routersPromiscuous is the default topology (a fresh ESXi: MAC changes
// and forged transmits Accept on both vSwitches) where IntraNought
// overrides promiscuous mode to Accept, as preflight --fix leaves it
// (Public's vmac needs none): preflight passes, and the audit finds the
// vSwitches broader.
func routersPromiscuous() sim.Topology {
	t := sim.Default()
	portgroup(&t, sim.PortgroupInternal).Security.Promiscuous = accept()
	return t
}

func securityFailures(rep preflight.Report) int {
	return failed(rep, preflight.CheckPromiscuous) + failed(rep, preflight.CheckMACChanges) + failed(rep, preflight.CheckForgedTransmits)
}

// audit --fix moves the vSwitches' Accepts onto the router portgroups,
// overrides first: audited again everything is justified, preflight's
// security checks still pass, and a rollback restores the original.
func TestAuditFixNarrowsThenRollbackRestores(t *testing.T) {
	ctx := context.Background()
	srv, err := sim.Start(ctx, routersPromiscuous(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg := config.Simulator()
	cfg.VSphere = srv.VSphereConfig()
	quiet := func(string, ...any) {}
	be, err := Open(ctx, cfg, "", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close(ctx) })
	pairs := []*config.Config{cfg}
	_, pre, err := Check(ctx, be, cfg, true, quiet)
	if err != nil || securityFailures(pre) != 0 {
		t.Fatalf("preflight before: %v, %d security failure(s); want a topology preflight passes", err, securityFailures(pre))
	}

	var backup change.Backup
	res, err := AuditFix(ctx, be, pairs, true, FixOptions{
		Progress: quiet, Log: slog.New(slog.DiscardHandler),
		Lock:        func(string) (func(), error) { return func() {}, nil },
		WriteBackup: func(b change.Backup) (string, error) { backup = b; return "backup.json", nil },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range res.Plan {
		order = append(order, c.Object+" "+c.Desired)
	}
	wantOrder := []string{
		"portgroup Public on esxi-01 Accept, set on the portgroup", "portgroup Public on esxi-01 Accept, set on the portgroup",
		"portgroup IntraNought on esxi-01 Accept, set on the portgroup", "portgroup IntraNought on esxi-01 Accept, set on the portgroup",
		"vswitch vSwitch0 on esxi-01 Reject", "vswitch vSwitch0 on esxi-01 Reject",
		"vswitch vSwitch1 on esxi-01 Reject", "vswitch vSwitch1 on esxi-01 Reject",
	}
	if !slices.Equal(order, wantOrder) || !res.Applied {
		t.Fatalf("applied %v, plan:\n%s\nwant overrides first:\n%s", res.Applied, strings.Join(order, "\n"), strings.Join(wantOrder, "\n"))
	}
	if res.Report.Failed() || res.Report.Summary != (audit.Summary{Justified: 5}) {
		t.Errorf("audited again: %+v, want 5 justified and nothing else: %+v", res.Report.Summary, res.Report.Exceptions)
	}
	for _, e := range res.Report.Exceptions {
		if e.Source != "set here" {
			t.Errorf("%s %s: source %q after the fix, want set here", e.Object, e.Setting, e.Source)
		}
	}
	if _, post, err := Check(ctx, be, cfg, true, quiet); err != nil || securityFailures(post) != 0 {
		t.Errorf("preflight after the fix: %v, %d security failure(s), want none", err, securityFailures(post))
	}

	if err := be.Rollback(ctx, backup, vsphere.RollbackOptions{}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	inv, err := be.GatherInventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inv.Target = "simulator"
	restored := audit.Run(pairs, inv)
	if restored.Summary != (audit.Summary{Justified: 5, Broader: 4}) || len(exceptionsOn(restored, "vswitch vSwitch0 on esxi-01", "forged_transmits")) != 1 {
		t.Errorf("after rollback: %+v, want the original 5 justified and 4 broader: %+v", restored.Summary, restored.Exceptions)
	}
}

// On a fleet, an exception is justified by whichever pair needs it: here
// one pair owns IntraNought and the other Public, on one vCenter.
func TestAuditFleetJustifiedByAnyPair(t *testing.T) {
	inner, outer := config.Simulator(), config.Simulator()
	inner.Pair.Name, outer.Pair.Name = "inner", "outer"
	inner.Networks, outer.Networks = inner.Networks[:1], outer.Networks[1:]
	rep := auditTopology(t, hardened(), inner, outer)
	if rep.Failed() || rep.Summary.Justified != 5 || !slices.Equal(rep.Pairs, []string{"inner", "outer"}) || len(rep.Targets) != 1 {
		t.Fatalf("report %+v, want 5 justified by the two pairs on one target", rep)
	}
	if e := one(t, rep, "portgroup IntraNought on esxi-01", "forged_transmits"); e.Pair != "inner" {
		t.Errorf("IntraNought justified by %q, want inner", e.Pair)
	}
	if e := one(t, rep, "portgroup Public on esxi-01", "forged_transmits"); e.Pair != "outer" {
		t.Errorf("Public justified by %q, want outer", e.Pair)
	}
}

// A distributed switch's uplink portgroup holds the hosts' physical NICs,
// not VMs: what it accepts, set there or inherited from the switch, is no
// VM portgroup's exception.
func TestAuditLeavesUplinkPortgroupsOut(t *testing.T) {
	topo := sim.Distributed(false)
	topo.Hosts[0].VSwitches[0].Security = facts.Security{Promiscuous: reject(), MacChanges: reject(), ForgedTransmits: reject()}
	topo.Switches[0].MACManagement.ForgedTransmits = true
	rep := auditTopology(t, topo)
	sw := one(t, rep, "dvswitch DSwitch", "forged_transmits")
	for _, r := range sw.Reaches {
		if strings.Contains(r, "DVUplinks") {
			t.Errorf("dvswitch DSwitch forged transmits reaches the uplink portgroup: %v", sw.Reaches)
		}
	}
	for _, e := range rep.Exceptions {
		if strings.Contains(e.Object, "DVUplinks") {
			t.Errorf("the uplink portgroup has an exception of its own: %+v", e)
		}
	}
}

// switchWide is the distributed topology where the switch's MAC
// management policy accepts all three settings and every portgroup
// inherits it: the router dvportgroups, a Servers dvportgroup of other
// VMs, and the uplink portgroup. vSwitch0 rejects all three.
func switchWide() sim.Topology {
	t := sim.Distributed(false)
	t.Hosts[0].VSwitches[0].Security = facts.Security{Promiscuous: reject(), MacChanges: reject(), ForgedTransmits: reject()}
	t.Switches[0].MACManagement = &sim.MACManagement{Promiscuous: true, MacChanges: true, ForgedTransmits: true}
	for i := range t.Switches[0].Portgroups {
		t.Switches[0].Portgroups[i].Security, t.Switches[0].Portgroups[i].MACManagement = nil, nil
	}
	t.Switches[0].Portgroups = append(t.Switches[0].Portgroups, sim.DVPortgroup{Name: "Servers", VLAN: 20})
	return t.WithVM(sim.VM{Name: "web-01", Host: "esxi-01", Datastore: "datastore1", PoweredOn: true, NICs: []sim.NIC{{Network: "Servers"}}})
}

// auditFixOn runs AuditFix on srv for the simulator's pair, recording
// the backup it writes.
func auditFixOn(t *testing.T, srv *sim.Server) (Backend, *config.Config, AuditFixResult, change.Backup) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Simulator()
	cfg.VSphere = srv.VSphereConfig()
	quiet := func(string, ...any) {}
	be, err := Open(ctx, cfg, "", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close(ctx) })
	var backup change.Backup
	res, err := AuditFix(ctx, be, []*config.Config{cfg}, true, FixOptions{
		Progress: quiet, Log: slog.New(slog.DiscardHandler),
		Lock:        func(string) (func(), error) { return func() {}, nil },
		WriteBackup: func(b change.Backup) (string, error) { backup = b; return "backup.json", nil },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return be, cfg, res, backup
}

// audit --fix on a distributed switch: Accept moves onto the router
// dvportgroups' own policies before the switch goes back to Reject, so
// that Servers (and the uplinks) inherit Reject. Audited again everything
// is justified, preflight passes, and a rollback restores every object
// exactly as it was.
func TestAuditFixNarrowsDistributedSwitch(t *testing.T) {
	ctx := context.Background()
	srv, err := sim.Start(ctx, switchWide(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	before, err := srv.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pre := auditTopologyOn(t, srv)
	if sw := one(t, pre, "dvswitch DSwitch", "promiscuous"); sw.Class != audit.Broader || !slices.Contains(sw.Reaches, "vm web-01") {
		t.Fatalf("before: dvswitch DSwitch promiscuous %+v, want broader, reaching web-01", sw)
	}

	be, cfg, res, backup := auditFixOn(t, srv)
	var order []string
	for _, c := range res.Plan {
		order = append(order, c.Object+" "+string(c.Setting)+" "+c.Desired)
	}
	// Public's vmac needs no promiscuous mode: its MAC management policy,
	// set on it from now on, rejects it, as the switch will.
	wantOrder := []string{
		"dvportgroup IntraNought on DSwitch security.allowPromiscuous Accept, set on the dvportgroup",
		"dvportgroup IntraNought on DSwitch security.macChanges Accept, set on the dvportgroup",
		"dvportgroup IntraNought on DSwitch security.forgedTransmits Accept, set on the dvportgroup",
		"dvportgroup Public on DSwitch security.macChanges Accept, set on the dvportgroup",
		"dvportgroup Public on DSwitch security.forgedTransmits Accept, set on the dvportgroup",
		"dvportgroup Public on DSwitch security.allowPromiscuous Reject, set on the dvportgroup",
	}
	for _, s := range []string{"security.allowPromiscuous", "security.macChanges", "security.forgedTransmits"} {
		wantOrder = append(wantOrder, "dvswitch DSwitch "+s+" Reject")
	}
	if !slices.Equal(order, wantOrder) || !res.Applied {
		t.Fatalf("applied %v, plan:\n%s\nwant the overrides first:\n%s", res.Applied, strings.Join(order, "\n"), strings.Join(wantOrder, "\n"))
	}
	if res.Report.Failed() || res.Report.Summary != (audit.Summary{Justified: 5}) {
		t.Errorf("audited again: %+v, want 5 justified and nothing else: %+v", res.Report.Summary, res.Report.Exceptions)
	}
	if _, post, err := Check(ctx, be, cfg, true, func(string, ...any) {}); err != nil || securityFailures(post) != 0 {
		t.Errorf("preflight after the fix: %v, %d security failure(s), want none", err, securityFailures(post))
	}

	if err := be.Rollback(ctx, backup, vsphere.RollbackOptions{}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	after, err := srv.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := sim.DiffState(before, after); len(diff) > 0 {
		t.Errorf("after rollback, objects differ from the original:\n%s", strings.Join(diff, "\n"))
	}
}

// auditTopologyOn audits srv's inventory for the simulator's pair.
func auditTopologyOn(t *testing.T, srv *sim.Server) audit.Report {
	t.Helper()
	cfg := config.Simulator()
	cfg.VSphere = srv.VSphereConfig()
	rep, err := Audit(context.Background(), []*config.Config{cfg}, FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// A router portgroup that also serves another VM is reported, never
// narrowed: the way out moves that VM's NIC, which --fix does not do
// unasked.
func TestAuditFixLeavesSharedRouterPortgroup(t *testing.T) {
	srv, err := sim.Start(context.Background(), hardened().WithVM(sim.VM{Name: "web-01", Host: "esxi-01", Datastore: "datastore1", PoweredOn: true,
		NICs: []sim.NIC{{Network: sim.PortgroupInternal}}}), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	_, _, res, _ := auditFixOn(t, srv)
	if len(res.Plan) != 0 || res.Applied || res.Report.Summary.Broader != 3 {
		t.Errorf("plan %v, applied %v, summary %+v; want nothing planned and IntraNought's 3 settings still broader", res.Plan, res.Applied, res.Report.Summary)
	}
}
