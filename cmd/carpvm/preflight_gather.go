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

// gatherFacts is the production gatherFunc: with sim it starts the embedded
// simulator (the typical user's topology) on a random loopback port and
// points cfg at it; then it logs in, gathers and logs out.
func gatherFacts(ctx context.Context, cfg *config.Config, useSim bool, progress func(string, ...any)) (*facts.Facts, error) {
	if useSim {
		progress("starting the embedded vSphere simulator (topology %q)", sim.Default().Name)
		srv, err := sim.Start(ctx, sim.Default(), "")
		if err != nil {
			return nil, fmt.Errorf("start the simulator: %w", err)
		}
		defer srv.Close()
		cfg.VSphere = srv.VSphereConfig()
	}
	progress("connecting to %s", redactURL(cfg.VSphere.URL))
	s, err := vsphere.Open(ctx, cfg.VSphere)
	if err != nil {
		return nil, err
	}
	progress("gathering facts for %s", strings.Join(cfg.RouterVMs(), ", "))
	f, err := s.Gather(ctx, cfg)
	if cerr := s.Close(ctx); cerr != nil && err == nil {
		progress("warning: log out: %v", cerr)
	}
	if err != nil {
		return nil, err
	}
	progress("gathered in %d round trips", s.RoundTrips())
	return f, nil
}
