package fix

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// entry is the human part of a plan entry, for compact comparisons.
type entry struct{ Object, Setting, Current, Desired, Check string }

func entries(p Plan) []entry {
	var out []entry
	for _, c := range p.Changes {
		out = append(out, entry{c.Object, string(c.Setting), c.Current, c.Desired, c.Check})
	}
	return out
}

func manualChecks(p Plan) []string {
	var out []string
	for _, m := range p.Manual {
		out = append(out, string(m.Check))
	}
	return out
}

func mustPlan(t *testing.T, f *facts.Facts, o Options) Plan {
	t.Helper()
	p, err := plan(f, o)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p
}

func TestPlanStandalone(t *testing.T) {
	p := mustPlan(t, standalone(), Options{})
	// Public's vmac needs no promiscuous mode.
	want := []entry{
		{"portgroup IntraNought on esx-01", "security.allowPromiscuous", "Reject, inherited from vSwitch1", "Accept", "security.promiscuous"},
	}
	if d := cmp.Diff(want, entries(p)); d != "" {
		t.Errorf("plan (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"spof.same_host", "spof.standalone_host"}, manualChecks(p)); d != "" {
		t.Errorf("manual (-want +got):\n%s", d)
	}
	for _, m := range p.Manual {
		if m.Check == preflight.CheckStandaloneHost && !strings.HasPrefix(m.Note, "No fix exists for a standalone host") {
			t.Errorf("standalone note = %q", m.Note)
		}
	}
	c := p.Changes[0]
	if c.Target.Kind != change.KindPortgroup || c.Target.HostRef != "host-esx-01" || c.Value.Bool == nil || !*c.Value.Bool {
		t.Errorf("first change target/value = %+v %+v", c.Target, c.Value)
	}
}

// TestPlanNothingWhenFixed: once the portgroups accept, nothing is planned.
func TestPlanNothingWhenFixed(t *testing.T) {
	f := standalone()
	for i := range f.Hosts[0].Portgroups {
		pg := &f.Hosts[0].Portgroups[i]
		pg.Override.Promiscuous = b(true)
		pg.Computed.Promiscuous = b(true)
	}
	p := mustPlan(t, f, Options{SetVMAC: true, Relocate: true})
	if !p.Empty() {
		t.Errorf("plan = %+v, want empty", entries(p))
	}
}

func TestPlanScopeVSwitch(t *testing.T) {
	f := standalone()
	// IntraNought overrides promiscuous with Reject: changing vSwitch1
	// alone would not do. Public's vmac needs no promiscuous mode.
	for i := range f.Hosts[0].Portgroups {
		if f.Hosts[0].Portgroups[i].Name == "IntraNought" {
			f.Hosts[0].Portgroups[i].Override.Promiscuous = b(false)
		}
	}
	p := mustPlan(t, f, Options{Scope: ScopeVSwitch})
	want := []entry{
		{"vswitch vSwitch1 on esx-01", "security.allowPromiscuous", "Reject", "Accept", "security.promiscuous"},
		{"portgroup IntraNought on esx-01", "security.allowPromiscuous", "Reject, set on portgroup IntraNought", "Accept", "security.promiscuous"},
	}
	if d := cmp.Diff(want, entries(p)); d != "" {
		t.Errorf("plan (-want +got):\n%s", d)
	}
}

// TestPlanReversePath: promiscuous already on over a team: the option,
// then a toggle; promiscuous about to be turned on over a team: the option
// before it, no toggle. Public's vmac needs no promiscuous mode: where it
// is Reject nothing is planned for it, where it is on (esx-01) it still
// reflects.
func TestPlanReversePath(t *testing.T) {
	f := cluster(false, facts.Rule{Name: "apart", Kind: facts.RuleAntiAffinity, Enabled: true, VMs: []string{"router-002", "router-003"}})
	// Public accepts promiscuous on esx-01 only.
	pg := &f.Hosts[0].Portgroups[0]
	pg.Override.Promiscuous, pg.Computed.Promiscuous = b(true), b(true)
	p := mustPlan(t, f, Options{})
	want := []entry{
		{"host esx-01", "Net.ReversePathFwdCheckPromisc", "0", "1", "host.reverse_path_promisc"},
		{"portgroup Public on esx-01", "security.allowPromiscuous (off and on)", "Accept", "Reject, then Accept again", "host.reverse_path_promisc"},
		{"portgroup IntraNought on esx-01", "security.allowPromiscuous", "Reject, inherited from vSwitch1", "Accept", "security.promiscuous"},
		{"portgroup IntraNought on esx-02", "security.allowPromiscuous", "Reject, inherited from vSwitch1", "Accept", "security.promiscuous"},
		{"portgroup IntraNought on esx-03", "security.allowPromiscuous", "Reject, inherited from vSwitch1", "Accept", "security.promiscuous"},
	}
	if d := cmp.Diff(want, entries(p)); d != "" {
		t.Errorf("plan (-want +got):\n%s", d)
	}
	if v := p.Changes[0].Value.Int; v == nil || *v != 1 {
		t.Errorf("option value = %v, want 1", v)
	}
}

func TestPlanAntiAffinity(t *testing.T) {
	tests := []struct {
		name     string
		rules    []facts.Rule
		opts     Options
		wantRule change.Rule
		current  string
	}{
		{"new rule", nil, Options{},
			change.Rule{Name: "carpvm-routers-anti-affinity", VMs: []string{"router-002", "router-003"}, VMRefs: []string{"vm-router-002", "vm-router-003"}},
			"no anti-affinity rule holds both routers"},
		{"new must-rule", nil, Options{Mandatory: true},
			change.Rule{Name: "carpvm-routers-anti-affinity", VMs: []string{"router-002", "router-003"}, VMRefs: []string{"vm-router-002", "vm-router-003"}, Mandatory: true},
			"no anti-affinity rule holds both routers"},
		{"disabled rule enabled", []facts.Rule{{Name: "apart", Kind: facts.RuleAntiAffinity, VMs: []string{"router-002", "router-003"}}}, Options{},
			change.Rule{Name: "apart", VMs: []string{"router-002", "router-003"}, Existing: true},
			"rule apart disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cluster(false, tt.rules...)
			for i := range f.Hosts {
				f.Hosts[i].ReversePathFwdCheckPromisc = i64(1)
			}
			p := mustPlan(t, f, tt.opts)
			var got *change.Change
			for i, c := range p.Changes {
				if c.Setting == change.SettingAntiAffinityRule {
					got = &p.Changes[i]
				}
			}
			if got == nil {
				t.Fatalf("no rule in plan %+v", entries(p))
			}
			if d := cmp.Diff(&tt.wantRule, got.Value.Rule); d != "" {
				t.Errorf("rule (-want +got):\n%s", d)
			}
			if got.Current != tt.current || got.Target.ClusterRef != "domain-c1" || got.Object != "cluster prod" {
				t.Errorf("change = %+v", got)
			}
		})
	}
}

func TestPlanRelocate(t *testing.T) {
	f := cluster(true)
	without := mustPlan(t, f, Options{})
	for _, c := range without.Changes {
		if c.Setting == change.SettingHost {
			t.Errorf("relocation planned without --relocate: %v", c)
		}
	}
	var note string
	for _, m := range without.Manual {
		if m.Check == preflight.CheckSameHost {
			note = m.Note
		}
	}
	if !strings.Contains(note, "--relocate") {
		t.Errorf("same_host manual note %q does not mention --relocate", note)
	}
	with := mustPlan(t, f, Options{Relocate: true})
	var moves []entry
	for _, c := range with.Changes {
		if c.Setting == change.SettingHost {
			moves = append(moves, entry{c.Object, string(c.Setting), c.Current, c.Desired, c.Check})
			if c.Value.Ref != "host-esx-02" {
				t.Errorf("destination ref = %q", c.Value.Ref)
			}
		}
	}
	want := []entry{{"vm router-003", "runtime.host", "esx-01 (with router-002)", "esx-02", "spof.same_host"}}
	if d := cmp.Diff(want, moves); d != "" {
		t.Errorf("relocation (-want +got):\n%s", d)
	}
}

func TestPlanVMAC(t *testing.T) {
	f := standalone()
	f.VMs[0].NICs[1].MAC, f.VMs[0].NICs[1].AddressType = "00:50:56:00:00:10", "generated"
	without := mustPlan(t, f, Options{})
	for _, c := range without.Changes {
		if c.Setting == change.SettingMAC {
			t.Errorf("MAC change planned without --set-vmac: %v", c)
		}
	}
	if !strings.Contains(strings.Join(manualChecks(without), " "), "vmac.shared") {
		t.Errorf("vmac.shared not in manual: %v", manualChecks(without))
	}
	with := mustPlan(t, f, Options{SetVMAC: true})
	var nics []change.Change
	for _, c := range with.Changes {
		if c.Setting == change.SettingMAC {
			nics = append(nics, c)
		}
	}
	if len(nics) != 1 {
		t.Fatalf("MAC changes = %v, want one (router-003 already has the vmac)", nics)
	}
	c := nics[0]
	if c.Object != "vm router-002 network adapter 2" || c.Current != "generated 00:50:56:00:00:10" ||
		c.Desired != "manual 02:00:00:aa:bb:cc" || c.Target.NICKey != 4001 || !strings.HasPrefix(c.Note, "disruptive") {
		t.Errorf("MAC change = %+v", c)
	}
}

func TestPlanDistributed(t *testing.T) {
	reject := dvSec(false, false, false)
	t.Run("promiscuous", func(t *testing.T) {
		p := mustPlan(t, distributed(reject, nil), Options{})
		var got []string
		for _, c := range p.Changes {
			got = append(got, c.Object+" "+string(c.Setting))
		}
		want := []string{
			"dvportgroup IntraNought on DSwitch security.allowPromiscuous",
			"dvportgroup IntraNought on DSwitch security.macChanges",
			"dvportgroup IntraNought on DSwitch security.forgedTransmits",
			"dvportgroup Public on DSwitch security.macChanges", // its vmac needs no promiscuous mode
			"dvportgroup Public on DSwitch security.forgedTransmits",
		}
		// The option comes first: promiscuous will be on over two uplinks.
		if len(p.Changes) == 0 || p.Changes[0].Setting != change.SettingReversePath {
			t.Fatalf("first change is not the option: %v", got)
		}
		if d := cmp.Diff(want, got[1:]); d != "" {
			t.Errorf("plan (-want +got):\n%s", d)
		}
	})
	t.Run("mac-learning", func(t *testing.T) {
		mm := &facts.DVMACManagement{}
		p := mustPlan(t, distributed(reject, mm), Options{DVSMode: DVSMACLearning})
		for _, c := range p.Changes {
			if c.Setting == change.SettingPromiscuous || c.Setting == change.SettingReversePath {
				t.Errorf("mac-learning mode planned %v", c)
			}
		}
		var learn int
		for _, c := range p.Changes {
			if c.Setting == change.SettingMACLearning {
				learn++
			}
		}
		if learn != 1 {
			t.Errorf("MAC learning changes = %d, want 1 (IntraNought; Public's vmac needs neither): %+v", learn, entries(p))
		}
	})
	t.Run("mac-learning unsupported", func(t *testing.T) {
		_, err := plan(distributed(reject, nil), Options{DVSMode: DVSMACLearning})
		if err == nil || !strings.Contains(err.Error(), "no MAC management policy") {
			t.Errorf("err = %v, want a clear refusal", err)
		}
	})
}

func TestPlanBadOptions(t *testing.T) {
	for _, o := range []Options{{Scope: "host"}, {DVSMode: "learning"}} {
		if _, err := plan(standalone(), o); err == nil {
			t.Errorf("NewPlan(%+v) = nil error", o)
		}
	}
	if _, err := NewPlan(nil, nil, nil, Options{}); err == nil {
		t.Error("NewPlan(nil facts) = nil error")
	}
}

// TestPlanNeverPanics: incomplete facts plan what can be planned.
func TestPlanNeverPanics(t *testing.T) {
	for _, f := range []*facts.Facts{{}, {VMs: []facts.VM{{Name: "router-002"}}}, {Networks: []facts.Network{{Name: "Public", Found: true, Kind: facts.KindDistributed}}}} {
		if _, err := plan(f, Options{SetVMAC: true, Relocate: true}); err != nil {
			t.Errorf("plan: %v", err)
		}
	}
}
