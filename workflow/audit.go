package workflow

import (
	"context"
	"fmt"

	"github.com/carpvm/carpvm/audit"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/groupby"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// Audit reads the security policy of every virtual network of each
// pair's vCenter and audits it against every pair on that vCenter: one
// report for them all. Pairs on one server (workflow.TargetID, whatever
// user they log in as; one simulator for them all with opts.Topology)
// share one session, logged in as the first of them, and distinct servers
// are read concurrently, at most opts.MaxSessions at once. A pair
// justifies exceptions on its own vCenter only: its routers are there. A
// server that cannot be read stops the audit with its error (the first,
// in the pairs' order), naming the pair that logged in to it.
func Audit(ctx context.Context, pairs []*config.Config, opts FleetOptions) (audit.Report, error) {
	simulated := opts.Topology != ""
	groups := byServer(pairs, simulated)
	reps := make([]audit.Report, len(groups))
	errs := make([]error, len(groups))
	index := map[int]int{} // a group's first pair -> the group's index
	for g, group := range groups {
		index[group[0]] = g
	}
	eachGroup(ctx, pairs, groups, opts, func(group []int, be Backend, err error, progress func(int) Progress) {
		g, first := index[group[0]], pairs[group[0]]
		if err == nil {
			progress(group[0])("reading every vSwitch, portgroup, distributed switch and distributed portgroup of %s", RedactURL(first.VSphere.URL))
			var inv *facts.Inventory
			if inv, err = be.GatherInventory(ctx); err == nil {
				progress(group[0])("read in %d round trips", be.RoundTrips())
				inv.Target = PrintableTarget(inv.Target, first, simulated)
				var same []*config.Config
				for _, i := range group {
					same = append(same, pairs[i])
				}
				reps[g] = audit.Run(same, inv)
			}
		}
		if err != nil {
			errs[g] = fmt.Errorf("audit: pair %s: %w", first.Pair.Name, backendError("gather", err))
		}
	})
	for _, err := range errs {
		if err != nil {
			return audit.Report{}, err
		}
	}
	return audit.Merge(reps...), nil
}

// byServer groups the pairs' indexes by the vCenter they log in to
// (TargetID, else the URL as written), in order of first appearance;
// simulated, they all share one.
func byServer(pairs []*config.Config, simulated bool) [][]int {
	indexes := make([]int, len(pairs))
	for i := range pairs {
		indexes[i] = i
	}
	return groupby.Ordered(indexes, func(i int) string {
		if simulated {
			return ""
		}
		if id := TargetID(pairs[i].VSphere.URL); id != "" {
			return id
		}
		return pairs[i].VSphere.URL
	})
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
		inv.Target = PrintableTarget(inv.Target, first, simulated)
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
