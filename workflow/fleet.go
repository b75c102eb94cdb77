package workflow

import (
	"context"
	"sync"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/groupby"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// DefaultMaxSessions is how many vSphere sessions a fleet's preflight has
// open at once: enough to overlap a few vCenters' round trips, few enough
// not to look like a storm of logins to any of them.
const DefaultMaxSessions = 4

// OpenFunc opens a backend as Open does; tests count or refuse sessions.
type OpenFunc func(ctx context.Context, cfg *config.Config, topology string, progress Progress) (Backend, error)

// FleetOptions say how CheckFleet reaches the pairs' vCenters.
type FleetOptions struct {
	// Topology, when set, checks every pair against one embedded simulator
	// of that topology (--sim).
	Topology string
	// Open is Open when nil.
	Open OpenFunc
	// MaxSessions bounds the sessions open at once (DefaultMaxSessions
	// when 0).
	MaxSessions int
	// Progress gets every pair's progress lines, prefixed with its name,
	// one at a time.
	Progress Progress
}

// PairReport is one pair's preflight: the facts and report, or the error
// that stopped it (the vCenter refused, or the configuration did).
type PairReport struct {
	Pair   string
	Facts  *facts.Facts
	Report preflight.Report
	Err    error
}

// CheckFleet runs the one check step on every pair, read-only, and
// returns the reports in the pairs' order. Pairs that share a vsphere
// target share one session and are checked one after the other on it;
// distinct targets are worked on concurrently, at most MaxSessions at
// once.
func CheckFleet(ctx context.Context, pairs []*config.Config, opts FleetOptions) []PairReport {
	reps := make([]PairReport, len(pairs))
	eachOnTarget(ctx, pairs, opts, func(i int, be Backend, openErr error, progress Progress) {
		cfg := pairs[i]
		if openErr != nil {
			reps[i] = PairReport{Pair: cfg.Pair.Name, Err: openErr}
			return
		}
		f, rep, err := Check(ctx, be, cfg, opts.Topology != "", progress)
		reps[i] = PairReport{Pair: cfg.Pair.Name, Facts: f, Report: rep, Err: err}
	})
	return reps
}

// eachOnTarget opens one session per vsphere target of pairs (one
// simulator for them all with opts.Topology), at most opts.MaxSessions at
// once, and calls work for each pair on its target's session, one pair
// after the other, in the pairs' order; distinct targets are worked on
// concurrently. When the session could not be opened, work gets the error
// (a *BackendError) and no backend. progress prefixes the pair's name and serialises lines.
func eachOnTarget(ctx context.Context, pairs []*config.Config, opts FleetOptions, work func(i int, be Backend, openErr error, progress Progress)) {
	eachGroup(ctx, pairs, byTarget(pairs, opts.Topology != ""), opts, func(group []int, be Backend, openErr error, progress func(i int) Progress) {
		for _, i := range group {
			work(i, be, openErr, progress(i))
		}
	})
}

// eachGroup opens one session for each group of pairs (indexes into
// pairs), logged in as the group's first pair, at most opts.MaxSessions at
// once, and calls work once per group on it; groups are worked on
// concurrently. When the session could not be opened, work gets the error
// and no backend. progress(i) prefixes pair i's name and serialises lines.
func eachGroup(ctx context.Context, pairs []*config.Config, groups [][]int, opts FleetOptions, work func(group []int, be Backend, openErr error, progress func(i int) Progress)) {
	open := opts.Open
	if open == nil {
		open = Open
	}
	limit := opts.MaxSessions
	if limit <= 0 {
		limit = DefaultMaxSessions
	}
	var mu sync.Mutex
	progress := func(name string) Progress {
		return func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			if opts.Progress != nil {
				opts.Progress("%s: "+format, append([]any{name}, args...)...)
			}
		}
	}
	pairProgress := func(i int) Progress { return progress(pairs[i].Pair.Name) }
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, group := range groups {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			first := pairs[group[0]]
			opener := *first // Open points a simulated pair at its simulator
			be, err := open(ctx, &opener, opts.Topology, progress(first.Pair.Name))
			err = backendError("connect", err)
			work(group, be, err, pairProgress)
			if err != nil {
				return
			}
			cctx, cancel := vsphere.Detached(ctx)
			defer cancel()
			if err := be.Close(cctx); err != nil {
				progress(first.Pair.Name)("warning: log out: %v", err)
			}
		})
	}
	wg.Wait()
}

// byTarget groups the pairs' indexes by the vsphere target they log in
// to, in order of first appearance; simulated, they all share one.
func byTarget(pairs []*config.Config, simulated bool) [][]int {
	type target struct {
		url, user, thumbprint, password, caCerts, knownHosts string
		insecure                                             bool
	}
	indexes := make([]int, len(pairs))
	for i := range pairs {
		indexes[i] = i
	}
	return groupby.Ordered(indexes, func(i int) target {
		if simulated {
			return target{}
		}
		vs := pairs[i].VSphere
		return target{vs.URL, vs.Username, vs.Thumbprint, vs.Password.Reveal(), vs.CACerts, vs.KnownHosts, vs.Insecure}
	})
}
