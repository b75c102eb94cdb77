package workflow

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// Progress reports what a workflow is doing, for a person (stderr).
type Progress = func(format string, args ...any)

// Backend is what the workflows need of vSphere: *vsphere.Session, with
// the simulator it started when there is one.
type Backend interface {
	Gather(ctx context.Context, cfg *config.Config) (*facts.Facts, error)
	// GatherInventory reads every virtual network's security policy
	// (carpvm audit).
	GatherInventory(ctx context.Context) (*facts.Inventory, error)
	Backup(ctx context.Context, plan []change.Change) (change.Backup, error)
	Apply(ctx context.Context, b change.Backup) error
	Rollback(ctx context.Context, b change.Backup, opts vsphere.RollbackOptions) error
	// Target is the server's URL without credentials: what a backup names
	// and the writers' lock is keyed on.
	Target() string
	RoundTrips() int
	Close(ctx context.Context) error
	// The drill's triggers and their read-back (vsphereenv.Env).
	vsphereenv.Ops
	vsphereenv.State
}

// Topologies names the simulated inventories Open can start, sorted.
func Topologies() []string {
	var names []string
	for name := range sim.Topologies() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Open logs in to cfg's vCenter (its failure a *BackendError); when topology names one of Topologies
// (grown as sim.Spec writes it, for --inventory-hosts and --inventory-vms)
// it first starts the embedded simulator of that topology on a random
// loopback port and points cfg at it, and Close stops it again.
func Open(ctx context.Context, cfg *config.Config, topology string, progress Progress) (Backend, error) {
	var srv *sim.Server
	if topology != "" {
		t, err := sim.Lookup(topology)
		if err != nil {
			return nil, err
		}
		progress("starting the embedded vSphere simulator (topology %q)", t.Name)
		if srv, err = sim.Start(ctx, t, ""); err != nil {
			return nil, &BackendError{Step: "start the simulator", Err: err}
		}
		cfg.VSphere = srv.VSphereConfig()
	}
	progress("connecting to %s", RedactURL(cfg.VSphere.URL))
	s, err := vsphere.Open(ctx, cfg.VSphere)
	if err != nil {
		if srv != nil {
			srv.Close()
		}
		return nil, &BackendError{Step: "connect", Err: err}
	}
	return &simSession{Session: s, srv: srv}, nil
}

// simSession is a session that also stops the simulator it runs against.
type simSession struct {
	*vsphere.Session
	srv *sim.Server
}

// Close logs out, then stops the simulator if there is one.
func (s *simSession) Close(ctx context.Context) error {
	err := s.Session.Close(ctx)
	if s.srv != nil {
		s.srv.Close()
	}
	return err
}

// Check is the one check step: it gathers the facts under cfg's pair from
// be (a failure is a *BackendError) and runs every check. The report's
// target is PrintableTarget's.
func Check(ctx context.Context, be Backend, cfg *config.Config, simulated bool, progress Progress) (*facts.Facts, preflight.Report, error) {
	f, err := gather(ctx, be, cfg, progress)
	if err != nil {
		return nil, preflight.Report{}, err
	}
	f.Target = PrintableTarget(f.Target, cfg, simulated)
	return f, preflight.Run(cfg, f), nil
}

func gather(ctx context.Context, be Backend, cfg *config.Config, progress Progress) (*facts.Facts, error) {
	progress("gathering facts for %s", strings.Join(cfg.RouterVMs(), ", "))
	f, err := be.Gather(ctx, cfg)
	if err != nil {
		return nil, backendError("gather", err)
	}
	progress("gathered in %d round trips", be.RoundTrips())
	return f, nil
}

// Gather opens a backend (on the simulator of topology when one is named),
// gathers the facts under cfg's pair and logs out.
func Gather(ctx context.Context, cfg *config.Config, topology string, progress Progress) (*facts.Facts, error) {
	be, err := Open(ctx, cfg, topology, progress)
	if err != nil {
		return nil, err
	}
	f, err := gather(ctx, be, cfg, progress)
	if cerr := be.Close(ctx); cerr != nil && err == nil {
		progress("warning: log out: %v", cerr)
	}
	return f, err
}

// PrintableTarget names what was checked, never with credentials: "simulator" for
// the embedded simulator (its address changes every run), else the vSphere
// URL without its user information.
func PrintableTarget(gathered string, cfg *config.Config, simulated bool) string {
	if simulated {
		return "simulator"
	}
	t := gathered
	if t == "" {
		t = cfg.VSphere.URL
	}
	return RedactURL(t)
}

// RedactURL drops user:password@ from a URL (GOVC_URL often carries them).
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable vSphere URL)"
	}
	u.User = nil
	return u.String()
}
