package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/carpvm/carpvm/audit"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/workflow"
)

// auditFixDocument is the -o json output of audit --fix.
type auditFixDocument struct {
	Plan    []change.Change `json:"plan"`
	Applied bool            `json:"applied"`
	Backup  string          `json:"backup"`
	Result  audit.Report    `json:"result"`
}

// auditFixRun does the work of carpvm audit --fix: workflow.AuditFix
// (audit, plan, confirm, lock, back up, apply, audit again) with the
// confirmation, backup file and lock of preflight --fix. Every pair must
// log in to one vCenter (a fleet: name one with --pair).
func auditFixRun(ctx context.Context, o *auditOptions, pairs []*config.Config, topology string) error {
	if o.Output == "markdown" {
		return usageError("audit --fix: -o markdown: want table or json (run the audit again for the report)")
	}
	for _, p := range pairs[1:] {
		if topology == "" && workflow.TargetID(p.VSphere.URL) != workflow.TargetID(pairs[0].VSphere.URL) {
			return usageError("audit --fix: the pairs log in to more than one vCenter; name one with --pair")
		}
	}
	first := *pairs[0]
	be, err := o.Connect(ctx, &first, topology, o.IO.progress)
	if err != nil {
		return fmt.Errorf("audit --fix: %w", err)
	}
	defer workflow.Close(ctx, be, o.IO.notice)
	if topology != "" {
		// The simulator Open started: every pair audits it.
		for i := range pairs {
			p := *pairs[i]
			p.VSphere = first.VSphere
			pairs[i] = &p
		}
	}
	fo := &fixOptions{IO: o.IO, Getenv: o.Getenv, Now: o.Now, fixFlags: fixFlags{Yes: o.Yes, Backup: o.Backup}}
	wo := workflow.FixOptions{
		Simulated: topology != "", Progress: o.IO.progress, Notice: o.IO.notice, Log: o.Log,
		Lock: func(target string) (func(), error) {
			lock, err := lockTarget(o.Getenv, target, "audit --fix")
			if err != nil {
				return nil, err
			}
			return func() { _ = lock.Unlock() }, nil
		},
		WriteBackup: fo.writeBackup,
	}
	if !o.Yes {
		wo.Confirm = fo.confirm
	}
	show := func(plan []change.Change) error {
		if o.Output != "table" {
			return nil
		}
		return writeAuditPlan(o.IO.Out, o.IO.Terminal(), plan)
	}
	res, err := workflow.AuditFix(ctx, be, pairs, topology != "", wo, show)
	doc := auditFixDocument{Plan: res.Plan, Applied: res.Applied, Backup: res.Backup, Result: res.Report}
	if doc.Plan == nil {
		doc.Plan = []change.Change{}
	}
	var beErr *workflow.BackendError
	switch {
	case errors.Is(err, workflow.ErrNotApplied):
		if o.Output == "json" {
			_ = writeDocument(o.IO.Out, "audit-fix", doc)
		}
		return fmt.Errorf("audit --fix: %w", err) // exitCodeOf: 4
	case errors.As(err, &beErr):
		return fmt.Errorf("audit --fix: %w", err)
	case err != nil:
		return err
	}
	if o.Output == "json" {
		if err := writeDocument(o.IO.Out, "audit-fix", doc); err != nil {
			return err
		}
	} else {
		if res.Applied {
			fmt.Fprintf(o.IO.Out, "Applied %d change(s); backup: %s (carpvm preflight rollback %s restores it)\n\n", len(res.Plan), res.Backup, res.Backup)
		}
		if err := writeAuditTable(o.IO.Out, o.IO.Terminal(), res.Report); err != nil {
			return fmt.Errorf("audit --fix: write table: %w", err)
		}
	}
	if res.Report.Failed() {
		return silentExit(exitCheckFailed)
	}
	return nil
}

// writeAuditPlan prints the narrowing plan in the style of preflight
// --fix's.
func writeAuditPlan(w io.Writer, t table.Terminal, plan []change.Change) error {
	if len(plan) == 0 {
		_, err := io.WriteString(w, "Plan: nothing to narrow.\n\n")
		return err
	}
	if _, err := fmt.Fprintf(w, "Plan: %d change(s), in this order (overrides first, so CARP keeps what it needs):\n", len(plan)); err != nil {
		return err
	}
	rows := make([][]string, len(plan))
	for i, c := range plan {
		rows[i] = []string{c.Object, string(c.Setting), c.Current, c.Desired, table.Dash(c.Network), table.Dash(c.Note)}
	}
	if err := table.Write(w, t, table.Layout{Whole: []string{"NETWORK"}}, []string{"OBJECT", "SETTING", "CURRENT", "DESIRED", "NETWORK", "NOTE"}, rows); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
