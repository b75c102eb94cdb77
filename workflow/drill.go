package workflow

import (
	"context"
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
)

// OpenDrill opens cfg's vCenter for a drill of env (or, when topology
// names one, the embedded simulator of that topology, which carries no
// CARP traffic: env then has no witness) and wires env to it: triggers
// and their read-back act through the session, and the gate is the one
// check step. close logs out (and stops the simulator), even after ctx
// was cancelled.
func OpenDrill(ctx context.Context, cfg *config.Config, topology string, env *failover.VSphereEnv, progress Progress) (close func(), err error) {
	be, err := Open(ctx, cfg, topology, progress)
	if err != nil {
		return nil, err
	}
	simulated := topology != ""
	env.Config, env.Ops, env.State = cfg, be, be
	env.URL = Target("", cfg, simulated)
	env.NoWitness = env.NoWitness || simulated
	env.CheckGate = func(ctx context.Context, _ failover.Network) (string, error) {
		return Gate(ctx, be, cfg, simulated)
	}
	return func() {
		cctx, cancel := vsphere.Detached(ctx)
		defer cancel()
		if err := be.Close(cctx); err != nil {
			progress("warning: log out: %v", err)
		}
	}, nil
}

// Gate is a drill's gate on vSphere: the check step, passed when no check
// failed (warnings pass), with the failed checks named otherwise.
func Gate(ctx context.Context, be Backend, cfg *config.Config, simulated bool) (string, error) {
	_, rep, err := Check(ctx, be, cfg, simulated, func(string, ...any) {})
	if err != nil {
		return "", err
	}
	if rep.Failed(false) {
		var failed []string
		for _, fd := range rep.Findings {
			if fd.Status == preflight.Fail {
				failed = append(failed, fmt.Sprintf("%s %s", fd.Check, fd.Object))
			}
		}
		return "", fmt.Errorf("preflight: %d check(s) failed: %s", rep.Summary.Fail, strings.Join(failed, "; "))
	}
	return fmt.Sprintf("preflight: %d pass, %d warn, 0 fail", rep.Summary.Pass, rep.Summary.Warn), nil
}
