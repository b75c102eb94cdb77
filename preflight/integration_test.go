package preflight_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// statuses summarises a report as check -> the statuses of its findings, in
// report order, e.g. "fail fail".
func statuses(rep preflight.Report) map[preflight.Check]string {
	m := map[preflight.Check]string{}
	for _, f := range rep.Findings {
		m[f.Check] = strings.TrimSpace(m[f.Check] + " " + string(f.Status))
	}
	return m
}

// gatherFrom serves t, gathers the facts for cfg through the vsphere
// package as carpvm does, and runs the checks.
func gatherFrom(t *testing.T, top sim.Topology, cfg *config.Config) preflight.Report {
	t.Helper()
	ctx := context.Background()
	srv, err := sim.Start(ctx, top, "")
	if err != nil {
		t.Fatalf("sim.Start(%s): %v", top.Name, err)
	}
	t.Cleanup(srv.Close)
	cfg.VSphere = srv.VSphereConfig()
	s, err := vsphere.Open(ctx, cfg.VSphere)
	if err != nil {
		t.Fatalf("vsphere.Open: %v", err)
	}
	defer s.Close(ctx)
	f, err := s.Gather(ctx, cfg)
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	return preflight.Run(cfg, f)
}

// base is what the default topology reports; each topology below states how
// it differs.
func base() map[preflight.Check]string {
	return map[preflight.Check]string{
		preflight.CheckVMFound:            "pass pass",
		preflight.CheckNICAttached:        "pass pass pass pass",
		preflight.CheckVLANMatch:          "pass pass",
		preflight.CheckPromiscuous:        "fail pass", // Public's vmac needs none
		preflight.CheckMACChanges:         "pass pass",
		preflight.CheckForgedTransmits:    "pass pass",
		preflight.CheckReversePathPromisc: "pass pass",
		preflight.CheckSameHost:           "fail",
		preflight.CheckStandaloneHost:     "fail",
		preflight.CheckAntiAffinity:       "pass",
		preflight.CheckSameDatastore:      "warn",
		preflight.CheckVMACShared:         "pass pass pass",
		preflight.CheckVMACConflict:       "pass pass",
		preflight.CheckVHIDUnique:         "pass pass",
	}
}

func with(changes map[preflight.Check]string) map[preflight.Check]string {
	m := base()
	for k, v := range changes {
		m[k] = v
	}
	return m
}

func TestSimulatedTopologies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a vCenter simulator per topology")
	}
	const x3 = "pass pass pass"
	tests := []struct {
		top  sim.Topology
		want map[preflight.Check]string
	}{
		{sim.Default(), base()},
		{sim.Cluster(3, false), with(map[preflight.Check]string{
			preflight.CheckPromiscuous:        "fail fail fail pass pass pass", // per network and host
			preflight.CheckMACChanges:         x3 + " " + x3,
			preflight.CheckForgedTransmits:    x3 + " " + x3,
			preflight.CheckReversePathPromisc: x3 + " " + x3,
			preflight.CheckSameHost:           "pass",
			preflight.CheckStandaloneHost:     "pass pass",
			preflight.CheckAntiAffinity:       "fail",
			preflight.CheckSameDatastore:      "pass",
		})},
		{sim.Cluster(3, true), with(map[preflight.Check]string{
			preflight.CheckPromiscuous:        "fail fail fail pass pass pass",
			preflight.CheckMACChanges:         x3 + " " + x3,
			preflight.CheckForgedTransmits:    x3 + " " + x3,
			preflight.CheckReversePathPromisc: x3 + " " + x3,
			preflight.CheckSameHost:           "pass",
			preflight.CheckStandaloneHost:     "pass pass",
			preflight.CheckAntiAffinity:       "pass",
			preflight.CheckSameDatastore:      "pass",
		})},
		{sim.SeparateStandaloneHosts(), with(map[preflight.Check]string{
			preflight.CheckPromiscuous:        "fail fail pass pass",
			preflight.CheckMACChanges:         "pass pass pass pass",
			preflight.CheckForgedTransmits:    "pass pass pass pass",
			preflight.CheckReversePathPromisc: "pass pass pass pass",
			preflight.CheckSameHost:           "pass",
			preflight.CheckStandaloneHost:     "fail fail",
			preflight.CheckSameDatastore:      "pass",
		})},
		{sim.PortgroupOverrides(), with(map[preflight.Check]string{
			preflight.CheckPromiscuous: "pass pass",
		})},
		{sim.Teamed(), with(map[preflight.Check]string{
			preflight.CheckPromiscuous:        "fail pass",
			preflight.CheckReversePathPromisc: "pass fail",
		})},
		{sim.Distributed(false), with(map[preflight.Check]string{
			preflight.CheckPromiscuous:        "pass pass",
			preflight.CheckReversePathPromisc: "fail fail", // promiscuous over two uplinks, option 0
		})},
		{sim.Distributed(true), with(map[preflight.Check]string{
			preflight.CheckPromiscuous: "pass pass", // MAC learning
		})},
		{sim.SharedVMAC(""), with(map[preflight.Check]string{
			preflight.CheckVMACShared: "pass fail fail",
		})},
		{sim.VRRPNeighbour(), with(map[preflight.Check]string{
			preflight.CheckVMACConflict: "fail pass", // keepalived-01 on VHID 1's MAC
		})},
	}
	for _, tt := range tests {
		name := tt.top.Name
		if name == "shared-vmac" {
			name = "generated-public-macs"
		}
		t.Run(name, func(t *testing.T) {
			rep := gatherFrom(t, tt.top, config.Simulator())
			if diff := cmp.Diff(tt.want, statuses(rep)); diff != "" {
				t.Errorf("statuses per check (-want +got):\n%s", diff)
				for _, f := range rep.Findings {
					t.Logf("%s %s %s %s: %s", f.Check, f.Status, f.Network, f.Object, f.Actual)
				}
			}
		})
	}
}

// TestSimulatedDetails pins the words of findings whose source matters: the
// inheritance source of a policy, MAC learning, the team.
func TestSimulatedDetails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a vCenter simulator per topology")
	}
	actual := func(rep preflight.Report, check preflight.Check, network string) []string {
		var out []string
		for _, f := range rep.Findings {
			if f.Check == check && f.Network == network {
				out = append(out, f.Actual)
			}
		}
		return out
	}
	tests := []struct {
		top     sim.Topology
		check   preflight.Check
		network string
		want    []string
	}{
		{sim.Default(), preflight.CheckPromiscuous, "intranought", []string{"Reject, inherited from vSwitch1"}},
		{sim.Default(), preflight.CheckPromiscuous, "public", []string{"Reject, inherited from vSwitch0; the VIPs' traffic is addressed to vmac 02:00:00:aa:bb:cc, the routers' NICs' own MAC (vmac.shared), which the vSwitch delivers without promiscuous mode"}},
		{sim.PortgroupOverrides(), preflight.CheckPromiscuous, "intranought", []string{"Accept, set on portgroup IntraNought"}},
		{sim.PortgroupOverrides(), preflight.CheckMACChanges, "intranought", []string{"Accept, inherited from vSwitch1"}},
		{sim.Distributed(true), preflight.CheckPromiscuous, "intranought", []string{"Reject, MAC management policy set on dvportgroup IntraNought; MAC learning is on, so promiscuous mode is not needed"}},
		{sim.Teamed(), preflight.CheckReversePathPromisc, "public", []string{"promiscuous Accept on portgroup Public, 2 active uplinks (vmnic0, vmnic1), Net.ReversePathFwdCheckPromisc=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.top.Name+"/"+string(tt.check), func(t *testing.T) {
			rep := gatherFrom(t, tt.top, config.Simulator())
			if diff := cmp.Diff(tt.want, actual(rep, tt.check, tt.network)); diff != "" {
				t.Errorf("actual (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSimulatedBadNames: a configuration naming a VM and a portgroup the
// simulator does not hold produces findings naming them, not an error.
func TestSimulatedBadNames(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a vCenter simulator")
	}
	cfg := config.Simulator()
	cfg.Pair.Routers[1].VM = "router-009"
	cfg.Networks[1].Portgroup = "Pubic"
	rep := gatherFrom(t, sim.Default(), cfg)
	var named []string
	for _, f := range rep.Findings {
		if f.Status == preflight.Pass {
			continue
		}
		if strings.Contains(f.Actual, `"router-009"`) || strings.Contains(f.Actual, `"Pubic"`) {
			named = append(named, string(f.Check))
		}
	}
	for _, want := range []preflight.Check{preflight.CheckVMFound, preflight.CheckNICAttached, preflight.CheckVLANMatch, preflight.CheckPromiscuous, preflight.CheckSameHost} {
		if !strings.Contains(strings.Join(named, " "), string(want)) {
			t.Errorf("no %s finding names the unknown VM or portgroup; findings naming them: %v", want, named)
		}
	}
}
