package workflow

import (
	"context"
	"fmt"

	"github.com/carpvm/carpvm/audit"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
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

// AuditFixResult is what AuditFix did.
type AuditFixResult struct {
	Plan []change.Change
	// Report is the audit after the fix (before it when nothing was
	// applied).
	Report  audit.Report
	Applied bool
	Backup  string
	// OtherWriter is set when another writer had changed an object of the
	// plan, which the fix then left alone.
	OtherWriter *vsphere.OtherWriterError
}

// AuditFix audits be's vCenter against pairs (all of them logging in to
// it), plans the narrowing of what is broader (audit.FixPlan) and,
// confirmed, applies it through preflight --fix's write path (the same
// confirmation, lock, backup, apply and undo on failure), then audits
// again. o.Plan is not read; o.ShowPlan is not called (the audit plan is
// not a fix.Plan): ShowChanges is.
func AuditFix(ctx context.Context, be Backend, pairs []*config.Config, simulated bool, o FixOptions, showChanges func([]change.Change) error) (AuditFixResult, error) {
	var res AuditFixResult
	first := pairs[0]
	read := func() (*facts.Inventory, error) {
		o.Progress("reading every vSwitch, portgroup, distributed switch and distributed portgroup")
		inv, err := be.GatherInventory(ctx)
		if err != nil {
			return nil, &BackendError{Step: "gather", Err: err}
		}
		inv.Target = Target(inv.Target, first, simulated)
		return inv, nil
	}
	inv, err := read()
	if err != nil {
		return res, err
	}
	res.Report = audit.Run(pairs, inv)
	res.Plan = audit.FixPlan(pairs, inv)
	if showChanges != nil {
		if err := showChanges(res.Plan); err != nil {
			return res, err
		}
	}
	if len(res.Plan) == 0 {
		o.Progress("nothing to narrow")
		return res, nil
	}
	res.Backup, res.OtherWriter, err = applyPlan(ctx, be, res.Plan, o)
	if err != nil {
		return res, err
	}
	res.Applied = true
	o.Progress("applied %d change(s); auditing again", len(res.Plan))
	if inv, err = read(); err != nil {
		return res, err
	}
	res.Report = audit.Run(pairs, inv)
	return res, nil
}
