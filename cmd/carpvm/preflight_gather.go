package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// gatherFacts is the production gatherFunc: it opens a session (on the
// embedded simulator when simTopology names one), gathers and logs out.
func gatherFacts(ctx context.Context, cfg *config.Config, simTopology string, progress func(string, ...any)) (*facts.Facts, error) {
	s, err := openSession(ctx, cfg, simTopology, progress)
	if err != nil {
		return nil, err
	}
	progress("gathering facts for %s", strings.Join(cfg.RouterVMs(), ", "))
	f, err := s.Gather(ctx, cfg)
	rt := s.RoundTrips()
	if cerr := s.Close(ctx); cerr != nil && err == nil {
		progress("warning: log out: %v", cerr)
	}
	if err != nil {
		return nil, err
	}
	progress("gathered in %d round trips", rt)
	return f, nil
}

// openSession logs in to cfg's vCenter; when simTopology names one of
// sim.Topologies it first starts the embedded simulator of that topology on
// a random loopback port and points cfg at it, and Close stops it again.
func openSession(ctx context.Context, cfg *config.Config, simTopology string, progress func(string, ...any)) (*simSession, error) {
	var srv *sim.Server
	if simTopology != "" {
		build, ok := sim.Topologies()[simTopology]
		if !ok {
			return nil, fmt.Errorf("simulator topology %q: want one of %s", simTopology, strings.Join(topologyNames(), ", "))
		}
		progress("starting the embedded vSphere simulator (topology %q)", simTopology)
		var err error
		if srv, err = sim.Start(ctx, build(), ""); err != nil {
			return nil, fmt.Errorf("start the simulator: %w", err)
		}
		cfg.VSphere = srv.VSphereConfig()
	}
	progress("connecting to %s", redactURL(cfg.VSphere.URL))
	s, err := vsphere.Open(ctx, cfg.VSphere)
	if err != nil {
		if srv != nil {
			srv.Close()
		}
		return nil, err
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
