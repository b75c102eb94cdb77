package failover

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
)

// explainingEnv is a fakeEnv that knows why CARP fails (as the lab's
// vSwitch model does).
type explainingEnv struct {
	*fakeEnv
	asked []string
}

func (e *explainingEnv) Explain(n Network, master string) []string {
	e.asked = append(e.asked, n.Name+"/"+master)
	return []string{"unicast to the VIP's MAC is not delivered to " + master + "'s port [predicted by security.promiscuous]"}
}

// A failed drill on an Explainer carries its causes, at the end of the
// first failed phase and in the report; a passed one asks nothing.
func TestDrillExplainsFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld()
		defer w.close()
		env := &explainingEnv{fakeEnv: &fakeEnv{w: w, gateErr: errors.New("lab: both routers are MASTER")}}
		n := fastNet()
		reps, err := Run(context.Background(), Options{Env: env, Trigger: TriggerDemote, Networks: []Network{n}})
		if err != nil {
			t.Fatal(err)
		}
		want := "unicast to the VIP's MAC is not delivered to " + n.Routers[0] + "'s port [predicted by security.promiscuous]"
		if len(reps[0].Causes) != 1 || reps[0].Causes[0] != want {
			t.Errorf("causes %q, want [%q]", reps[0].Causes, want)
		}
		if g, _ := reps[0].Phase(PhaseGate); !strings.HasSuffix(g.Detail, "; cause: "+want) {
			t.Errorf("gate detail %q does not end with the cause", g.Detail)
		}
		env.gateErr, env.asked = nil, nil
		reps, err = Run(context.Background(), Options{Env: env, Trigger: TriggerDemote, Networks: []Network{n}})
		if err != nil {
			t.Fatal(err)
		}
		if !reps[0].Pass || len(env.asked) != 0 || reps[0].Causes != nil {
			t.Errorf("passed drill: pass %t, asked %v, causes %v", reps[0].Pass, env.asked, reps[0].Causes)
		}
	})
}
