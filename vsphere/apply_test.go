package vsphere_test

import (
	"strings"
	"testing"

	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// fixCycle fixes top with opts, re-checks (no failing security or
// reverse-path finding, nor any of also), plans again (nothing), rolls back
// and compares the whole inventory, read through govmomi, with its state
// before the fix.
func fixCycle(t *testing.T, top sim.Topology, opts fix.Options, also ...preflight.Check) fix.Plan {
	t.Helper()
	w := newFixWorld(t, top)
	before := w.state(t)
	p := w.plan(opts)
	for _, c := range p.Changes {
		t.Logf("plan: %s [%s]", c, c.Check)
	}
	b := w.backup(p)
	if err := w.s.Apply(w.ctx, b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	r := w.check()
	if bad := fixFailing(r, append(append([]preflight.Check(nil), fixedChecks...), also...)...); len(bad) > 0 {
		t.Errorf("after the fix, failing: %+v", bad)
	}
	if again := w.plan(opts); !again.Empty() {
		t.Errorf("second plan is not empty: %+v", again.Changes)
	}
	if err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{}); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if d := sim.DiffState(before, w.state(t)); len(d) > 0 {
		t.Errorf("after rollback the inventory differs:\n%s", strings.Join(d, "\n"))
	}
	return p
}

// TestFixEachTopology: every topology of the preflight issue.
func TestFixEachTopology(t *testing.T) {
	tops := []sim.Topology{
		sim.Default(), sim.Cluster(3, false), sim.Cluster(3, true), sim.SeparateStandaloneHosts(),
		sim.PortgroupOverrides(), sim.Teamed(), sim.Distributed(false), sim.Distributed(true), sim.SharedVMAC(""), sim.VRRPNeighbour(),
		everyStepTopology(), rejectingDVS(),
	}
	for _, top := range tops {
		t.Run(top.Name, func(t *testing.T) {
			fixCycle(t, top, fix.Options{SetVMAC: true}, preflight.CheckAntiAffinity, preflight.CheckVMACShared)
		})
	}
}

// TestFixOptions: --scope vswitch, --dvs-mode mac-learning, --mandatory,
// --relocate and --set-vmac against the simulator.
func TestFixOptions(t *testing.T) {
	t.Run("scope vswitch", func(t *testing.T) {
		p := fixCycle(t, sim.Default(), fix.Options{Scope: fix.ScopeVSwitch})
		for _, c := range p.Changes {
			if c.Target.Kind != change.KindVSwitch {
				t.Errorf("--scope vswitch planned %v", c)
			}
		}
	})
	t.Run("mac-learning", func(t *testing.T) {
		p := fixCycle(t, rejectingDVS(), fix.Options{DVSMode: fix.DVSMACLearning})
		for _, c := range p.Changes {
			if c.Setting == change.SettingPromiscuous || c.Setting == change.SettingReversePath {
				t.Errorf("mac-learning mode planned %v", c)
			}
		}
	})
	t.Run("relocate, must-rule, vmac", func(t *testing.T) {
		p := fixCycle(t, everyStepTopology(), fix.Options{Relocate: true, Mandatory: true, SetVMAC: true},
			preflight.CheckSameHost, preflight.CheckAntiAffinity, preflight.CheckVMACShared)
		var kinds []string
		for _, c := range p.Changes {
			kinds = append(kinds, string(c.Setting))
			if c.Setting == change.SettingAntiAffinityRule && (c.Value.Rule == nil || !c.Value.Rule.Mandatory) {
				t.Errorf("rule is not a must-rule: %+v", c.Value.Rule)
			}
		}
		for _, want := range []change.Setting{change.SettingReversePath, change.SettingPromiscuousToggle, change.SettingPromiscuous,
			change.SettingAntiAffinityRule, change.SettingHost, change.SettingMAC} {
			if !strings.Contains(strings.Join(kinds, ","), string(want)) {
				t.Errorf("plan lacks %s: %v", want, kinds)
			}
		}
	})
}

// TestBackupHoldsNoCredentials: the backup names the server without user
// or password.
func TestBackupHoldsNoCredentials(t *testing.T) {
	w := newFixWorld(t, sim.Default())
	b := w.backup(w.plan(fix.Options{}))
	var buf strings.Builder
	if err := b.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	pass := w.srv.Password.Reveal()
	if strings.Contains(buf.String(), pass) || strings.Contains(buf.String(), w.srv.Username) {
		t.Errorf("backup holds credentials:\n%s", buf.String())
	}
	if b.Target != w.srv.URL || b.Thumbprint != w.srv.Thumbprint {
		t.Errorf("backup target = %q (thumbprint %q), want %q (%q)", b.Target, b.Thumbprint, w.srv.URL, w.srv.Thumbprint)
	}
}
