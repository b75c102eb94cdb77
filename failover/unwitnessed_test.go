package failover

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// unwitnessedEnv is the vSphere Env on the embedded simulator, with no
// witness (the simulator carries no CARP traffic).
func unwitnessedEnv(t *testing.T) (*vsphere.Session, *VSphereEnv) {
	t.Helper()
	_, s := simSession(t)
	return s, &VSphereEnv{Ops: s, State: s, Config: config.Simulator(), URL: "simulator", NoWitness: true}
}

// Against the simulator the drill acts on the preferred master, reads the
// effect back from vSphere, undoes it and reads that back; the figures a
// witness would measure are listed as unavailable, never made up.
func TestUnwitnessedDrillReadsTheTriggerBack(t *testing.T) {
	for _, tc := range []struct {
		trigger Trigger
		during  func(*vsphere.Session) bool
	}{
		{TriggerNICDisconnect, func(s *vsphere.Session) bool {
			nic, err := s.NIC(context.Background(), sim.Router1, sim.PortgroupInternal)
			return err == nil && !nic.Connected
		}},
		{TriggerPowerOff, func(s *vsphere.Session) bool {
			ps, err := s.PowerState(context.Background(), sim.Router1)
			return err == nil && ps == "poweredOff"
		}},
	} {
		t.Run(string(tc.trigger), func(t *testing.T) {
			s, env := unwitnessedEnv(t)
			nets, err := env.Networks("") // no addresses needed without a witness
			if err != nil {
				t.Fatal(err)
			}
			var sawEffect bool
			env.Ops = &watchOps{VSphereOps: s, after: func(op string) {
				if op == "disconnect" || op == "power-off" {
					sawEffect = tc.during(s)
				}
			}}
			reps, err := RunUnwitnessed(context.Background(), Options{Env: env, Trigger: tc.trigger, Networks: nets[:1]})
			if err != nil {
				t.Fatal(err)
			}
			r := reps[0]
			if !r.Pass || !r.Restored || r.OldMaster != "router-002" || r.NewMaster != "" || r.TakeoverS != 0 {
				t.Fatalf("report %+v", r)
			}
			if !sawEffect {
				t.Error("the simulator never showed the trigger's effect")
			}
			if tc.during(s) {
				t.Error("the trigger was not undone")
			}
			for _, f := range []string{"new_master", "takeover_s", "blackout_s", "vip_mac_after", "mac_relearned"} {
				if !slices.Contains(r.Unavailable, f) {
					t.Errorf("unavailable %v lacks %s", r.Unavailable, f)
				}
			}
			if !strings.Contains(r.Notice, "no CARP traffic") {
				t.Errorf("notice %q", r.Notice)
			}
			var table, md bytes.Buffer
			if err := WriteTable(&table, false, reps); err != nil {
				t.Fatal(err)
			}
			if err := WriteMarkdown(&md, reps); err != nil {
				t.Fatal(err)
			}
			for name, out := range map[string]string{"table": table.String(), "markdown": md.String()} {
				if strings.Contains(out, "0.000s") || !strings.Contains(out, "n/a") || !strings.Contains(out, "no CARP traffic") {
					t.Errorf("%s shows a figure it did not measure, or no notice:\n%s", name, out)
				}
			}
			prom := filepath.Join(t.TempDir(), "drill.prom")
			if err := WriteMetrics(prom, reps); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(prom); strings.Contains(string(b), "carpvm_drill_takeover_seconds{") || !strings.Contains(string(b), "carpvm_drill_success{") {
				t.Errorf("metrics publish an unmeasured takeover:\n%s", b)
			}
			trig, _ := r.Phase(PhaseTrigger)
			rest, _ := r.Phase(PhaseRestore)
			if !strings.Contains(trig.Detail, "read back") || !strings.Contains(rest.Detail, "read back") {
				t.Errorf("phases do not say what was read back: %+v", r.Phases)
			}
		})
	}
}

// An undo that fails, or that says it worked but left the VM off (as read
// back), leaves the drill failed and not restored.
func TestUnwitnessedDrillUndoFails(t *testing.T) {
	for name, ops := range map[string]func(VSphereOps) VSphereOps{
		"refused": func(o VSphereOps) VSphereOps { return failingPowerOn{o} },
		"ignored": func(o VSphereOps) VSphereOps { return ignoredPowerOn{o} },
	} {
		s, env := unwitnessedEnv(t)
		nets, _ := env.Networks("intranought")
		env.Ops = ops(s)
		reps, err := RunUnwitnessed(context.Background(), Options{Env: env, Trigger: TriggerPowerOff, Networks: nets})
		if err != nil {
			t.Fatal(err)
		}
		if r := reps[0]; r.Pass || r.Restored {
			t.Errorf("%s power-on: passed or restored: %+v", name, r.Phases)
		}
	}
}

// Demote and partition cannot be read back from vSphere: refused.
func TestUnwitnessedDrillRefusesUnreadableTriggers(t *testing.T) {
	_, env := unwitnessedEnv(t)
	nets, _ := env.Networks("intranought")
	for _, tr := range []Trigger{TriggerDemote, TriggerPartition} {
		if _, err := RunUnwitnessed(context.Background(), Options{Env: env, Trigger: tr, Networks: nets}); err == nil {
			t.Errorf("%s accepted", tr)
		}
	}
}

type failingPowerOn struct{ VSphereOps }

func (failingPowerOn) PowerOn(context.Context, string) error { return errors.New("power on refused") }

type ignoredPowerOn struct{ VSphereOps }

func (ignoredPowerOn) PowerOn(context.Context, string) error { return nil }
