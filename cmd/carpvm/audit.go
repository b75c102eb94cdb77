package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/audit"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/workflow"
)

// auditFunc is workflow.Audit in production; tests may hand in a report.
type auditFunc func(ctx context.Context, pairs []*config.Config, opts workflow.FleetOptions) (audit.Report, error)

// auditOptions are the dependencies and flag values of carpvm audit.
type auditOptions struct {
	IO        IOStreams
	LoadPairs func(sim bool) ([]*config.Config, error)
	Pair      string
	Audit     auditFunc
	Sim       bool
	Topology  string
	Output    string
	// Date is the day the markdown report states (YYYY-MM-DD); today when
	// empty.
	Date string
	Now  func() time.Time
	// Fix, Yes and Backup are --fix, --yes and --backup (audit_fix.go).
	Fix     bool
	Yes     bool
	Backup  string
	Connect connectFunc
	Getenv  config.Getenv
	Log     *slog.Logger
}

// auditFormats are audit's -o values.
func auditFormats() []string { return []string{"table", "json", "markdown"} }

// newAuditCmd is carpvm audit; runF (nil: auditRun) gets its options.
func newAuditCmd(app *App, runF func(context.Context, *auditOptions) error) *cobra.Command {
	opts := &auditOptions{Audit: workflow.Audit, Now: time.Now, Connect: connectVSphere}
	if runF == nil {
		runF = auditRun
	}
	cmd := &cobra.Command{
		Use:   "audit [--sim [--topology NAME]] [--pair NAME] [-o table|json|markdown] [--date YYYY-MM-DD] [--fix [--yes] [--backup FILE]]",
		Short: "List CARP's exceptions to the vSphere hardening baseline, scoped and justified",
		Long: `audit reads the security policy of every vSwitch, portgroup, distributed
switch and distributed portgroup of each pair's vCenter (not only the pairs'),
read-only, in a constant number of round trips, and lists each setting that is
not Reject: promiscuous mode, MAC address changes, forged transmits, which the
vSphere Security Configuration Guide and the DISA STIGs want Reject
everywhere. Each is classed:

  justified    a router portgroup of a configured pair, and a setting
               preflight's rules require there for that network
  broader      CARP needs it, but it is set on the vSwitch or distributed
               switch (so other portgroups inherit it), or on a portgroup that
               also serves VMs that are not routers
  unjustified  no configured pair needs it there

Each row names the object, where the value comes from, the portgroups and VMs
it reaches, the baseline rules it departs from, and why (or how to remediate).
A fleet is audited into one report: each vCenter read once (up to 4 at once)
and judged by every pair on it. -o markdown is the report an auditor files.

--fix narrows what is broader on standard and distributed switches: it moves a
switch-level Accept onto overrides of the router portgroups that need it, then
sets the switch (and so every other portgroup that inherited it) back to
Reject, overrides first so that CARP never loses a setting. Unjustified
exceptions and a router portgroup shared with other VMs are never changed: the
report gives the commands that fix them. It writes as preflight --fix
does: the plan, a confirmation (--yes skips it), a backup first (--backup
FILE), the writers' lock, undo on failure; carpvm preflight rollback FILE
restores the backup.
On a fleet --fix needs the pairs on one vCenter (else name one with --pair).
Exit status: 0 every exception is justified, 1 one is not, 2 usage or
configuration error, 3 vSphere unreachable or refused, 4 --fix planned changes
but did not apply them.`,
		Example: `  carpvm audit --sim
  carpvm audit --sim --topology portgroup-overrides -o json
  carpvm audit --config carpvm.yaml -o markdown > audit.md
  carpvm audit --config fleet.yaml --pair paris
  carpvm audit --sim --fix --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = app.IO
			opts.LoadPairs = app.LoadPairs
			opts.Pair = app.pair
			opts.Getenv = app.Getenv
			opts.Log = app.Logger()
			if !opts.Fix && (cmd.Flags().Changed("yes") || cmd.Flags().Changed("backup")) {
				return usageError("audit --yes and --backup need --fix")
			}
			if cmd.Flags().Changed("topology") && !opts.Sim {
				return usageError("audit --topology needs --sim")
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Sim, "sim", false, "audit the embedded vSphere simulator (the typical user's topology) instead of a real vCenter")
	cmd.Flags().StringVar(&opts.Topology, "topology", "default", "with --sim: the simulated inventory, one of "+strings.Join(workflow.Topologies(), ", "))
	completeFlag(cmd, "topology", completeValues(workflow.Topologies))
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table, json or markdown")
	completeFlag(cmd, "output", completeValues(auditFormats))
	cmd.Flags().StringVar(&opts.Date, "date", "", "with -o markdown: the date the report states (YYYY-MM-DD; default today, UTC)")
	cmd.Flags().BoolVar(&opts.Fix, "fix", false, "narrow the broader switch-level exceptions onto the router portgroups; apply with --yes or on confirmation")
	cmd.Flags().BoolVar(&opts.Yes, "yes", false, "with --fix: apply the plan without asking")
	cmd.Flags().StringVar(&opts.Backup, "backup", "", "with --fix: write the backup here (default $XDG_STATE_HOME/carpvm/backups/TIME.json)")
	addPairFlag(cmd, app, "audit against this pair of a fleet only (without it, every pair, each on its own vCenter)")
	return cmd
}

// auditRun does the work of carpvm audit; cobra only fills opts.
func auditRun(ctx context.Context, opts *auditOptions) error {
	if !slices.Contains(auditFormats(), opts.Output) {
		return usageError("audit: -o %q: want table, json or markdown", opts.Output)
	}
	date, err := opts.date()
	if err != nil {
		return err
	}
	topology := ""
	if opts.Sim {
		if topology = opts.Topology; topology == "" {
			topology = "default"
		}
		if !slices.Contains(workflow.Topologies(), topology) {
			return usageError("audit --topology %q: want one of %s", topology, strings.Join(workflow.Topologies(), ", "))
		}
	}
	pairs, err := opts.LoadPairs(opts.Sim)
	if err != nil {
		return err
	}
	if opts.Pair != "" {
		cfg, err := config.SelectPair(pairs, opts.Pair)
		if err != nil {
			return err
		}
		pairs = []*config.Config{cfg}
	}
	if opts.Fix {
		return auditFixRun(ctx, opts, pairs, topology)
	}
	rep, err := opts.Audit(ctx, pairs, workflow.FleetOptions{Topology: topology, Progress: opts.IO.progress})
	if err != nil {
		return err
	}
	switch opts.Output {
	case "json":
		err = writeDocument(opts.IO.Out, "audit", rep)
	case "markdown":
		err = writeAuditMarkdown(opts.IO.Out, rep, date)
	default:
		err = writeAuditTable(opts.IO.Out, opts.IO.Terminal(), rep)
	}
	if err != nil {
		return fmt.Errorf("audit: write %s: %w", opts.Output, err)
	}
	if rep.Failed() {
		return silentExit(exitCheckFailed)
	}
	return nil
}

// date is --date, checked, or today in UTC.
func (o *auditOptions) date() (string, error) {
	if o.Date == "" {
		return o.Now().UTC().Format(time.DateOnly), nil
	}
	if _, err := time.Parse(time.DateOnly, o.Date); err != nil {
		return "", usageError("audit --date %q: want YYYY-MM-DD", o.Date)
	}
	return o.Date, nil
}
