package explain

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/vsphere/facts"
)

var t0 = time.Date(2026, 12, 7, 2, 14, 0, 0, time.UTC)

func testPair() Pair {
	return Pair{Name: "intranought",
		Routers: []Router{{Name: "router-001", VM: "vm-router-1"}, {Name: "router-002", VM: "vm-router-2"}},
		Networks: []Network{
			{Name: "intranought", Portgroup: "IntraNought", AdvBase: 1, AdvSkew: 100},
			{Name: "public", Portgroup: "Public", AdvBase: 1, AdvSkew: 100},
		}}
}

func takeover(at time.Time, network string) transition.Transition {
	return transition.Transition{Time: at, Router: "router-002", Network: network, VHID: 1, From: "BACKUP", To: "MASTER", Reason: "master down"}
}

func vmEvent(typ string, at time.Duration) facts.Event {
	return facts.Event{Type: typ, Kind: facts.EntityVM, Entity: "vm-router-1", Time: t0.Add(at)}
}

func vmTask(typ string, at, took time.Duration) facts.Event {
	e := vmEvent(typ, at)
	e.Task, e.End = true, e.Time.Add(took)
	return e
}

// Each kind of cause is recognised from what vCenter records of it.
func TestExplainKinds(t *testing.T) {
	nic := vmEvent("VmReconfiguredEvent", -time.Second)
	nic.NICChange = "Network adapter 1 disconnected"
	notNIC := vmEvent("VmReconfiguredEvent", -time.Second)
	host := facts.Event{Type: "HostConnectionLostEvent", Kind: facts.EntityHost, Entity: "esx-01", Time: t0.Add(-2 * time.Second)}
	uplink := facts.Event{Type: "esx.problem.net.vmnic.linkstate.down", Kind: facts.EntityHost, Entity: "esx-01", Time: t0.Add(-time.Second)}
	policy := facts.Event{Type: "host.NetworkSystem.updatePortGroup", Task: true, Kind: facts.EntityHost, Entity: "esx-01", Time: t0.Add(-3 * time.Second), End: t0.Add(-3 * time.Second)}
	dvPolicy := facts.Event{Type: "DVPortgroupReconfiguredEvent", Kind: facts.EntityNetwork, Entity: "IntraNought", Time: t0.Add(-time.Second)}
	for name, tc := range map[string]struct {
		e    facts.Event
		want Kind
	}{
		"snapshot":       {vmTask("VirtualMachine.createSnapshot", -3200*time.Millisecond, 4100*time.Millisecond), KindSnapshot},
		"consolidate":    {vmTask("VirtualMachine.consolidateDisks", -time.Second, time.Second), KindSnapshot},
		"vmotion":        {vmEvent("VmMigratedEvent", -500*time.Millisecond), KindVMotion},
		"drs vmotion":    {vmEvent("DrsVmMigratedEvent", -500*time.Millisecond), KindVMotion},
		"emigrating":     {vmEvent("VmEmigratingEvent", -5*time.Second), KindVMotion},
		"ha":             {vmEvent("VmRestartedOnAlternateHostEvent", 20*time.Second), KindHARestart},
		"power off":      {vmEvent("VmPoweredOffEvent", -time.Second), KindPower},
		"reset":          {vmEvent("VmResettingEvent", -time.Second), KindPower},
		"guest shutdown": {vmEvent("VmGuestShutdownEvent", -time.Second), KindPower},
		"nic":            {nic, KindNIC},
		"reconfigure":    {notNIC, KindNone},
		"host":           {host, KindHost},
		"uplink":         {uplink, KindHost},
		"policy":         {policy, KindPolicy},
		"dv policy":      {dvPolicy, KindPolicy},
		"too early":      {vmEvent("VmPoweredOffEvent", -3*time.Minute), KindNone},
		"too late":       {vmEvent("VmPoweredOffEvent", 2*time.Minute+time.Millisecond), KindNone},
		"unrelated":      {vmEvent("VmGuestHeartbeatEvent", 0), KindNone},
	} {
		t.Run(name, func(t *testing.T) {
			rep := Explain(testPair(), []transition.Transition{takeover(t0, "intranought")}, []facts.Event{tc.e}, 2*time.Minute)
			got := rep.Transitions[0]
			if got.Causes[0].Kind != tc.want || len(got.Causes) != 1 {
				t.Fatalf("causes = %+v, want one %s", got.Causes, tc.want)
			}
			wantVerdict := VerdictExplained
			if tc.want == KindNone {
				wantVerdict = VerdictUnexplained
				if got.Causes[0].Detail != "no vCenter event within 2m" {
					t.Fatalf("none's detail = %q", got.Causes[0].Detail)
				}
			}
			if got.Verdict != wantVerdict {
				t.Fatalf("verdict = %s, want %s", got.Verdict, wantVerdict)
			}
			if len(got.Advice) != 1 {
				t.Fatalf("advice = %q, want one", got.Advice)
			}
		})
	}
}

// The example: a 4.1 s snapshot 3.2 s before the takeover of a
// backup with master-down 3.39 s.
func TestExplainSnapshotAdvice(t *testing.T) {
	rep := Explain(testPair(), []transition.Transition{takeover(t0, "intranought")},
		[]facts.Event{vmTask("VirtualMachine.createSnapshot", -3200*time.Millisecond, 4100*time.Millisecond)}, 2*time.Minute)
	x := rep.Transitions[0]
	want := Cause{Kind: KindSnapshot, Event: "VirtualMachine.createSnapshot", Entity: "vm-router-1", Router: "router-001",
		Time: t0.Add(-3200 * time.Millisecond), OffsetS: -3.2, DurationS: 4.1}
	if diff := cmp.Diff([]Cause{want}, x.Causes, cmp.AllowUnexported(Cause{})); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
	wantAdvice := "router-001 was stunned up to 4.1 s by a snapshot (task 3.2 s before the transition) while master-down is 3.39 s: raise advbase to 2 (master-down 6.39 s), or exclude the routers from quiescing, or schedule backups apart"
	if diff := cmp.Diff([]string{wantAdvice}, x.Advice); diff != "" {
		t.Fatalf("advice (-want +got)\n%s", diff)
	}
	// A stun shorter than master-down is said not to explain it alone.
	rep = Explain(testPair(), []transition.Transition{takeover(t0, "intranought")},
		[]facts.Event{vmTask("VirtualMachine.createSnapshot", -time.Second, time.Second)}, 2*time.Minute)
	if a := rep.Transitions[0].Advice[0]; !strings.Contains(a, "shorter than master-down 3.39 s") {
		t.Fatalf("advice = %q", a)
	}
}

// Causes come nearest first; a transition within a task's run is nearest
// of all; a portgroup's events count only for its own network.
func TestExplainOrderAndScope(t *testing.T) {
	events := []facts.Event{
		vmEvent("VmPoweredOffEvent", -40*time.Second),
		vmTask("VirtualMachine.createSnapshot", -10*time.Second, 12*time.Second), // still running at t0
		vmEvent("VmMigratedEvent", 2*time.Second),
		{Type: "DVPortgroupReconfiguredEvent", Kind: facts.EntityNetwork, Entity: "Public", Time: t0},
	}
	rep := Explain(testPair(), []transition.Transition{takeover(t0, "intranought"), takeover(t0.Add(time.Hour), "public")}, events, time.Minute)
	var kinds []Kind
	for _, c := range rep.Transitions[0].Causes {
		kinds = append(kinds, c.Kind)
	}
	if diff := cmp.Diff([]Kind{KindSnapshot, KindVMotion, KindPower}, kinds); diff != "" {
		t.Fatalf("kinds (-want +got)\n%s", diff)
	}
	if rep.Transitions[1].Verdict != VerdictUnexplained {
		t.Fatalf("an hour later: %+v", rep.Transitions[1])
	}
	if rep.Unexplained() != 1 {
		t.Fatalf("Unexplained = %d, want 1", rep.Unexplained())
	}
}

// A drill's own transition is planned even with no event near it.
func TestExplainPlanned(t *testing.T) {
	tr := takeover(t0, "intranought")
	tr.Planned = "drill stun: trigger"
	rep := Explain(testPair(), []transition.Transition{tr}, nil, time.Minute)
	x := rep.Transitions[0]
	if x.Verdict != VerdictPlanned || rep.Unexplained() != 0 {
		t.Fatalf("verdict = %s", x.Verdict)
	}
	if !strings.HasPrefix(x.Advice[0], "planned: drill stun: trigger") {
		t.Fatalf("advice = %q", x.Advice)
	}
}

func TestEventTypesSortedAndUnique(t *testing.T) {
	ts := EventTypes()
	for i := 1; i < len(ts); i++ {
		if ts[i] <= ts[i-1] {
			t.Fatalf("EventTypes not sorted or repeats %q", ts[i])
		}
	}
}
