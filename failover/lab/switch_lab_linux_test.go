package lab

import (
	"context"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/netns"
)

// upForgedTransmitsLab brings up a lab of mode whose IntraNought portgroup
// rejects forged transmits (the checks named as preflight names them),
// Public accepting everything.
func upForgedTransmitsLab(t *testing.T, mode string) *Lab {
	t.Helper()
	opts := testOptions(t, PeerCarpvm)
	if err := checkSwitchTools(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	opts.AdvBase = AdvBase(0)
	opts.Mode = mode
	checks := Checks{Promiscuous: "security.promiscuous", ForgedTransmits: "security.forged_transmits"}
	opts.Switch = &SwitchModel{Source: "test", Nets: map[string]Policy{
		"intranought": {Portgroup: "IntraNought", Promiscuous: true, MACChanges: true, ForgedTransmits: false, Checks: checks},
		"public":      {Portgroup: "Public", Promiscuous: true, MACChanges: true, ForgedTransmits: true, Checks: checks},
	}}
	return upLab(t, opts)
}

// A lab whose IntraNought portgroup rejects forged transmits: both routers
// stay master there (the model drops their adverts from the virtual MAC),
// lab status says so and predicts it, and a drill fails naming forged
// transmits and the check that predicted it, however often it looks.
func TestLabSwitchModelForgedTransmitsDrill(t *testing.T) {
	t.Parallel()
	l := upForgedTransmitsLab(t, ModeMulticast)
	ctx := context.Background()
	cause := "adverts from 00:00:5e:00:01:01 are dropped at both routers' ports (forged transmits Reject on IntraNought): neither router hears the other, both become master [predicted by security.forged_transmits]"
	st := l.Status(ctx)
	if err := st.Err(); err == nil || !strings.Contains(err.Error(), "both routers are MASTER for vhid 1 (intranought)") {
		t.Errorf("status: %v, want the split brain on intranought", err)
	}
	if len(st.Causes) != 1 || st.Causes[0] != cause {
		t.Errorf("status causes %q, want [%q]", st.Causes, cause)
	}
	if !strings.Contains(st.Remedy(), "--facts test") {
		t.Errorf("remedy %q does not rebuild the same vSwitch", st.Remedy())
	}
	nets, err := l.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second gate must not open the switch while it looks
		reps, err := failover.Run(ctx, failover.Options{Env: &Env{Lab: l}, Trigger: failover.TriggerPowerOff, Networks: nets})
		if err != nil {
			t.Fatal(err)
		}
		r := reps[0]
		if r.Pass || len(r.Causes) != 1 || r.Causes[0] != cause {
			t.Fatalf("drill: pass %v, causes %q; want a failure naming %q\n%+v", r.Pass, r.Causes, cause, r.Phases)
		}
		if g, _ := r.Phase(failover.PhaseGate); g.OK || !strings.Contains(g.Detail, "split brain") || !strings.HasSuffix(g.Detail, cause) {
			t.Errorf("gate %+v: want it failed on the split brain, ending with the cause", g)
		}
	}
}

// MAC address changes Reject in a lab: once router-003's guest changes its
// IntraNought MAC, the next look at the switch (a drill's gate) cuts it
// off; frames to router-002 still arrive.
func TestLabSwitchModelMACChangeCutsOff(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	if err := checkSwitchTools(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	opts.AdvBase = AdvBase(0)
	opts.Switch = &SwitchModel{Source: "test", Nets: map[string]Policy{
		"intranought": {Portgroup: "IntraNought", Promiscuous: true, MACChanges: false, ForgedTransmits: true},
		"public":      {Portgroup: "Public", Promiscuous: true, MACChanges: true, ForgedTransmits: true},
	}}
	l := upLab(t, opts)
	ctx := context.Background()
	n, _ := NetByName("intranought")
	client := &netns.Namespace{Name: l.ns(Client)}
	if !pings(t, client, n.Addrs[Router2].Addr()) {
		t.Fatal("router-003 does not answer before its MAC changes")
	}
	if _, err := nsRun(ctx, l.ns(Router2), "ip", "link", "set", n.Leg, "address", "02:11:22:33:44:55"); err != nil {
		t.Fatal(err)
	}
	nets, err := l.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&Env{Lab: l}).Gate(ctx, nets[0]); err != nil {
		t.Logf("gate: %v", err)
	}
	if _, err := nsRun(ctx, l.ns(Client), "ip", "neigh", "flush", "dev", n.Leg); err != nil {
		t.Fatal(err)
	}
	if pings(t, client, n.Addrs[Router2].Addr()) {
		t.Error("router-003 still answers after changing its MAC with MAC address changes Reject")
	}
	if !pings(t, client, n.Addrs[Router1].Addr()) {
		t.Error("router-002, whose MAC did not change, no longer answers")
	}
}

// A unicast lab on a vSwitch model (its IntraNought rejects forged
// transmits): the unicast adverts go from each router's own MAC, so the
// pair stays whole where multicast adverts from the virtual MAC would
// split it; the VIP's replies from the virtual MAC are what the port
// drops, and lab status and the drill say so. The witness sees the adverts
// through the model's own filters: the public drill passes.
func TestLabSwitchModelUnicast(t *testing.T) {
	t.Parallel()
	l := upForgedTransmitsLab(t, ModeUnicast)
	ctx := context.Background()
	st := l.Status(ctx)
	if err := st.Err(); err != nil {
		t.Errorf("status: %v, want one master per group (unicast adverts pass forged transmits Reject)", err)
	}
	cause := "VIP 172.27.27.14 does not answer: the master's replies from 00:00:5e:00:01:01 are dropped at the master's port (forged transmits Reject on IntraNought); the unicast adverts, from each router's own MAC, pass [predicted by security.forged_transmits]"
	if len(st.Causes) != 1 || st.Causes[0] != cause {
		t.Errorf("status causes %q, want [%q]", st.Causes, cause)
	}
	if on, err := mcastFlooding(l); err != nil || len(on) > 0 {
		t.Errorf("unicast lab on a model: ports flooding multicast %v (%v), want none", on, err)
	}
	public, err := l.Networks("public")
	if err != nil {
		t.Fatal(err)
	}
	reps, err := failover.Run(ctx, failover.Options{Env: &Env{Lab: l}, Trigger: failover.TriggerPowerOff, Networks: public})
	if err != nil {
		t.Fatal(err)
	}
	if !reps[0].Pass {
		t.Errorf("public drill failed on a unicast lab with a model: %+v", reps[0].Phases)
	}
	intra, err := l.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	reps, err = failover.Run(ctx, failover.Options{Env: &Env{Lab: l}, Trigger: failover.TriggerPowerOff, Networks: intra})
	if err != nil {
		t.Fatal(err)
	}
	named := strings.Replace(strings.Replace(cause, "the master's replies", "router-002's replies", 1), "the master's port", "router-002's port", 1)
	if r := reps[0]; r.Pass || len(r.Causes) != 1 || r.Causes[0] != named {
		t.Errorf("intranought drill: pass %v, causes %q; want a failure naming %q\n%+v", r.Pass, r.Causes, named, r.Phases)
	}
}
