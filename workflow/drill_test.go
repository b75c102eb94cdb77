package workflow

import (
	"context"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
)

// OpenDrill on the simulator wires the vSphere Env: no witness, the
// simulator as target, the check step as gate (the simulated pair fails
// it), and triggers read back through the same session.
func TestOpenDrillOnTheSimulator(t *testing.T) {
	ctx := context.Background()
	cfg := config.Simulator()
	env := &failover.VSphereEnv{Config: cfg}
	closeEnv, err := OpenDrill(ctx, cfg, "default", env, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	defer closeEnv()
	if !env.NoWitness || env.Target() != "simulator" {
		t.Errorf("no witness %v, target %q", env.NoWitness, env.Target())
	}
	nets, err := env.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Gate(ctx, nets[0]); err == nil || !strings.Contains(err.Error(), "security.promiscuous") {
		t.Errorf("gate: %v, want the promiscuous failures named", err)
	}
	if err := env.Trigger(ctx, failover.TriggerNICDisconnect, nets[0], "router-002"); err != nil {
		t.Fatal(err)
	}
	if on, detail, err := env.Effect(ctx, failover.TriggerNICDisconnect, nets[0], "router-002"); err != nil || !on {
		t.Errorf("read back after the trigger: %v %q %v", on, detail, err)
	}
	if err := env.Undo(ctx, failover.TriggerNICDisconnect, nets[0], "router-002"); err != nil {
		t.Fatal(err)
	}
}
