package vsphere_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/vmware/govmomi/view"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// fixWorld is a simulated inventory with a logged-in session, for the
// --fix tests.
type fixWorld struct {
	t   testing.TB
	ctx context.Context
	srv *sim.Server
	s   *vsphere.Session
	cfg *config.Config
}

func newFixWorld(t testing.TB, top sim.Topology) *fixWorld {
	t.Helper()
	ctx := context.Background()
	srv, err := sim.Start(ctx, top, "")
	if err != nil {
		t.Fatalf("sim.Start(%s): %v", top.Name, err)
	}
	t.Cleanup(srv.Close)
	s, err := vsphere.Open(ctx, srv.VSphereConfig())
	if err != nil {
		t.Fatalf("vsphere.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	return &fixWorld{t: t, ctx: ctx, srv: srv, s: s, cfg: config.Simulator()}
}

// check gathers facts and runs the checks.
func (w *fixWorld) check() preflight.Report {
	w.t.Helper()
	f, err := w.s.Gather(w.ctx, w.cfg)
	if err != nil {
		w.t.Fatalf("Gather: %v", err)
	}
	return preflight.Run(w.cfg, f)
}

// plan gathers, checks and plans.
// twoWrites makes Public a network without a vmac, which needs
// promiscuous mode: the default topology's plan then writes both router
// portgroups, as a test of a second write wants.
func (w *fixWorld) twoWrites() *fixWorld {
	w.cfg.Networks[1].VMAC = nil
	return w
}

func (w *fixWorld) plan(opts fix.Options) fix.Plan {
	w.t.Helper()
	f, err := w.s.Gather(w.ctx, w.cfg)
	if err != nil {
		w.t.Fatalf("Gather: %v", err)
	}
	p, err := fix.NewPlan(w.cfg, f, preflight.Run(w.cfg, f).Findings, opts)
	if err != nil {
		w.t.Fatalf("NewPlan: %v", err)
	}
	return p
}

// backup backs up the plan's objects, through the backup file's encoding.
func (w *fixWorld) backup(p fix.Plan) change.Backup {
	w.t.Helper()
	b, err := w.s.Backup(w.ctx, p.Changes)
	if err != nil {
		w.t.Fatalf("Backup: %v", err)
	}
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		w.t.Fatal(err)
	}
	out, err := change.DecodeBackup(&buf)
	if err != nil {
		w.t.Fatalf("DecodeBackup: %v", err)
	}
	return out
}

// fixFailing returns the failing findings of the checks named.
func fixFailing(r preflight.Report, checks ...preflight.Check) []preflight.Finding {
	var out []preflight.Finding
	for _, f := range r.Findings {
		for _, c := range checks {
			if f.Check == c && f.Status == preflight.Fail {
				out = append(out, f)
			}
		}
	}
	return out
}

var fixedChecks = []preflight.Check{
	preflight.CheckPromiscuous, preflight.CheckMACChanges, preflight.CheckForgedTransmits,
	preflight.CheckReversePathPromisc,
}

// state reads every setting a carpvm write can change (sim.ReadState,
// past the fault seam), so that a test re-reads whatever fault is armed.
func (w *fixWorld) state(t testing.TB) map[string]string {
	t.Helper()
	st, err := w.srv.ReadState(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// fixView is a container view of kind over the whole inventory.
func fixView(w *fixWorld, kind string) (*view.ContainerView, error) {
	c := w.s.Client()
	return view.NewManager(c).CreateContainerView(w.ctx, c.ServiceContent.RootFolder, []string{kind}, true)
}
