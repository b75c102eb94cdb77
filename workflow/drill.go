package workflow

import (
	"context"
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
)

// OpenDrill opens cfg's vCenter for a drill of env (or, when topology
// names one, the embedded simulator of that topology, which carries no
// CARP traffic: env then has no witness) and wires env to it: triggers
// and their read-back act through the session, and the gate is the one
// check step. close logs out (and stops the simulator), even after ctx
// was cancelled.
func OpenDrill(ctx context.Context, cfg *config.Config, topology string, env *vsphereenv.Env, progress Progress) (close func(), err error) {
	be, err := Open(ctx, cfg, topology, progress)
	if err != nil {
		return nil, err
	}
	wireDrill(be, cfg, topology != "", env)
	return func() {
		cctx, cancel := vsphere.Detached(ctx)
		defer cancel()
		if err := be.Close(cctx); err != nil {
			progress("warning: log out: %v", err)
		}
	}, nil
}

// wireDrill points env at be for a drill of cfg: triggers and their
// read-back act through the session, and the gate is the one check step.
// A simulated backend carries no CARP traffic: env then has no witness.
func wireDrill(be Backend, cfg *config.Config, simulated bool, env *vsphereenv.Env) {
	env.Config, env.Ops, env.State = cfg, be, be
	env.URL = PrintableTarget("", cfg, simulated)
	env.NoWitness = env.NoWitness || simulated
	env.CheckGate = func(ctx context.Context, _ failover.Network) (string, error) {
		return Gate(ctx, be, cfg, simulated)
	}
	env.TransitionCauses = func(ctx context.Context, ts []transition.Transition) ([]explain.Explained, error) {
		h, ok := be.(Historian)
		if !ok {
			return nil, errNoHistory
		}
		rep, err := ExplainWith(ctx, h, cfg, ts, explain.DefaultWindow, func(string, ...any) {})
		return rep.Transitions, err
	}
}

// Witnessed is the ownership map a vSphere drill's witness can check of
// nets: it listens on one segment (--interface), so that network's groups
// when one network is drilled, none otherwise.
func Witnessed(nets []failover.Network) []failover.Network {
	if len(nets) == 1 {
		return nets
	}
	return nil
}

// PairDrill is one pair's drill in a fleet: its reports, and the error
// that stopped it (the vCenter refused, the pair's lock was held, the run
// was interrupted before the pair's turn) or ended it (the drill's own).
type PairDrill struct {
	Pair    string
	Reports []failover.Report
	Err     error
}

// DrillFleetOptions say how DrillFleet reaches the pairs and drills each.
type DrillFleetOptions struct {
	FleetOptions
	// Env is the pair's drill environment before it is wired to a
	// session (its witness interface, demote command).
	Env func(cfg *config.Config) *vsphereenv.Env
	// Drill drills one pair through env, already wired to its session:
	// the command's lock, failover.Run and its options.
	Drill func(ctx context.Context, cfg *config.Config, env *vsphereenv.Env, progress Progress) ([]failover.Report, error)
}

// DrillFleet drills every pair, as CheckFleet checks them: pairs on one
// vsphere target one after the other through one session, distinct
// targets concurrently (at most MaxSessions at once). Once ctx is
// cancelled no pair starts; those left report the cancellation.
func DrillFleet(ctx context.Context, pairs []*config.Config, opts DrillFleetOptions) []PairDrill {
	out := make([]PairDrill, len(pairs))
	eachOnTarget(ctx, pairs, opts.FleetOptions, func(i int, be Backend, openErr error, progress Progress) {
		cfg := pairs[i]
		out[i].Pair = cfg.Pair.Name
		switch {
		case openErr != nil:
			out[i].Err = openErr
			return
		case ctx.Err() != nil:
			out[i].Err = fmt.Errorf("not drilled: %w", ctx.Err())
			return
		}
		env := opts.Env(cfg)
		wireDrill(be, cfg, opts.Topology != "", env)
		out[i].Reports, out[i].Err = opts.Drill(ctx, cfg, env, progress)
	})
	return out
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
