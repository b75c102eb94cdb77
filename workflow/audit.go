package workflow

import (
	"context"
	"fmt"

	"github.com/carpvm/carpvm/audit"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
)

// Audit reads the security policy of every virtual network of each
// pair's vCenter (one session per vsphere target, one after the other;
// one simulator for them all with opts.Topology) and audits it against
// the pairs of that target: one report for them all. A target that cannot
// be read stops the audit with its error, naming the pair that logs in
// to it.
func Audit(ctx context.Context, pairs []*config.Config, opts FleetOptions) (audit.Report, error) {
	open := opts.Open
	if open == nil {
		open = Open
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	simulated := opts.Topology != ""
	var reps []audit.Report
	for _, group := range byTarget(pairs, simulated) {
		first := *pairs[group[0]] // Open points a simulated pair at its simulator
		be, err := open(ctx, &first, opts.Topology, progress)
		if err != nil {
			return audit.Report{}, fmt.Errorf("audit: pair %s: %w", first.Pair.Name, err)
		}
		progress("reading every vSwitch, portgroup, distributed switch and distributed portgroup of %s", RedactURL(first.VSphere.URL))
		inv, err := be.GatherInventory(ctx)
		if err == nil {
			progress("read in %d round trips", be.RoundTrips())
		}
		cctx, cancel := vsphere.Detached(ctx)
		if cerr := be.Close(cctx); cerr != nil {
			progress("warning: log out: %v", cerr)
		}
		cancel()
		if err != nil {
			return audit.Report{}, fmt.Errorf("audit: pair %s: %w", first.Pair.Name, err)
		}
		inv.Target = Target(inv.Target, &first, simulated)
		var same []*config.Config
		for _, i := range group {
			same = append(same, pairs[i])
		}
		reps = append(reps, audit.Run(same, inv))
	}
	return audit.Merge(reps...), nil
}
