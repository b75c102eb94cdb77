package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/table"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/workflow"
)

// connectFunc opens a backend for cfg (workflow.Open in production); when
// simTopology names one, it starts the embedded simulator of that topology
// first and points cfg at it. Tests hand in fakes.
type connectFunc func(ctx context.Context, cfg *config.Config, simTopology string, progress func(string, ...any)) (workflow.Backend, error)

// fixFlags are the --fix flag values, registered on carpvm preflight.
type fixFlags struct {
	Yes       bool
	Backup    string
	Scope     string
	DVSMode   string
	Mandatory bool
	Relocate  bool
	SetVMAC   bool
	// set holds the flags above, which mean something only with --fix.
	set *pflag.FlagSet
}

// addFixFlags registers the --fix flags on the preflight command.
func addFixFlags(cmd *cobra.Command, f *fixFlags) {
	// One flag set: runPreflightFix refuses each of them without --fix.
	fs := pflag.NewFlagSet("fix", pflag.ContinueOnError)
	fs.BoolVar(&f.Yes, "yes", false, "with --fix: apply the plan without asking")
	fs.StringVar(&f.Backup, "backup", "", "with --fix: write the backup here (default $XDG_STATE_HOME/carpvm/backups/TIME.json)")
	fs.StringVar(&f.Scope, "scope", string(fix.ScopePortgroup), "with --fix: where to change security settings: portgroup (the routers' portgroups) or vswitch")
	fs.StringVar(&f.DVSMode, "dvs-mode", string(fix.DVSPromiscuous), "with --fix: on a distributed portgroup, promiscuous or mac-learning (vSphere 6.7+)")
	fs.BoolVar(&f.Mandatory, "mandatory", false, "with --fix: make the new DRS anti-affinity rule a must-rule")
	fs.BoolVar(&f.Relocate, "relocate", false, "with --fix: migrate a router to another host of its cluster when both share one")
	fs.BoolVar(&f.SetVMAC, "set-vmac", false, "with --fix: set the routers' NICs to the network's vmac (disruptive: NICs reconfigured)")
	f.set = fs
	cmd.Flags().AddFlagSet(fs)
}

// fixOptions are the dependencies and flag values of preflight --fix.
type fixOptions struct {
	IO         IOStreams
	Getenv     config.Getenv
	LoadConfig func(sim bool) (*config.Config, error)
	// LoadPairs, when set, loads every pair of a fleet; Pair selects one.
	LoadPairs func(sim bool) ([]*config.Config, error)
	Pair      string
	Connect   connectFunc
	Now       func() time.Time
	Log       *slog.Logger

	Sim bool
	// SimTopology is the simulated inventory under --sim, "" otherwise.
	SimTopology string
	Output      string
	Strict      bool
	// SaveFacts, when set, receives the facts gathered after applying.
	SaveFacts string
	fixFlags
	// answers reads the confirmations from IO.In.
	answers *bufio.Reader
}

// fixDocument is the -o json output of --fix.
type fixDocument struct {
	Plan    []change.Change  `json:"plan"`
	Manual  []fix.Manual     `json:"manual"`
	Applied bool             `json:"applied"`
	Backup  string           `json:"backup"`
	Result  preflight.Report `json:"result"`
}

// connectVSphere is the production connectFunc.
func connectVSphere(ctx context.Context, cfg *config.Config, simTopology string, progress func(string, ...any)) (workflow.Backend, error) {
	return workflow.Open(ctx, cfg, simTopology, progress)
}

func (o *fixOptions) fixOpts() (fix.Options, error) {
	scope, err := fix.ParseScope(o.Scope)
	if err != nil {
		return fix.Options{}, usageError("preflight --scope %q: want portgroup or vswitch", o.Scope)
	}
	mode, err := fix.ParseDVSMode(o.DVSMode)
	if err != nil {
		return fix.Options{}, usageError("preflight --dvs-mode %q: want promiscuous or mac-learning", o.DVSMode)
	}
	return fix.Options{Scope: scope, DVSMode: mode, Mandatory: o.Mandatory, Relocate: o.Relocate, SetVMAC: o.SetVMAC}, nil
}

// fixRun does the work of carpvm preflight --fix: workflow.Fix (check,
// plan, confirm, lock, back up, apply, check again) with this command's
// printing, prompt, backup file and lock, then the re-checked state. A
// fleet without --pair is fixed one pair at a time (fixFleetRun).
func fixRun(ctx context.Context, o *fixOptions) error {
	if err := checkOutput("preflight", o.Output); err != nil {
		return err
	}
	opts, err := o.fixOpts()
	if err != nil {
		return err
	}
	cfg, pairs, err := o.load()
	if err != nil {
		return err
	}
	if cfg == nil {
		return fixFleetRun(ctx, o, opts, pairs)
	}
	res, err := fixPair(ctx, o, opts, cfg)
	doc := newFixDocument(res)
	if doc != nil && o.Output == "json" {
		if err := writeDocument(o.IO.Out, "preflight-fix", doc); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if o.Output != "json" {
		if err := writePreflightTable(o.IO.Out, o.IO.Terminal(), doc.Result); err != nil {
			return fmt.Errorf("preflight --fix: write table: %w", err)
		}
	}
	return o.verdict(res)
}

// load loads the pair to fix, or every pair (cfg nil) of a fleet without
// --pair.
func (o *fixOptions) load() (cfg *config.Config, pairs []*config.Config, err error) {
	return pairOrFleet(o.LoadConfig, o.LoadPairs, o.Sim, o.Pair)
}

// newFixDocument is the -o json document of res (nil when nothing was
// planned).
func newFixDocument(res *workflow.FixResult) *fixDocument {
	if res == nil {
		return nil
	}
	return &fixDocument{Plan: res.Plan.Changes, Manual: res.Plan.Manual, Applied: res.Applied, Backup: res.Backup, Result: res.Result}
}

// fixPair fixes one pair: its own session, plan, confirmation, lock,
// backup and re-check. res is what there is to print (nil when nothing
// was planned); err decides the exit code when set (exit 4 when the plan
// was not applied), else the re-checked report does.
func fixPair(ctx context.Context, o *fixOptions, opts fix.Options, cfg *config.Config) (*workflow.FixResult, error) {
	be, err := o.Connect(ctx, cfg, o.SimTopology, o.IO.progress)
	if err != nil {
		return nil, fmt.Errorf("preflight --fix: %w", err)
	}
	defer workflow.Close(ctx, be, o.IO.notice)
	wo := workflow.FixOptions{
		Plan: opts, Simulated: o.Sim, Progress: o.IO.progress, Notice: o.IO.notice, Log: o.Log,
		ShowPlan: func(plan fix.Plan) error {
			if o.Output != "table" {
				return nil
			}
			if err := writePlanTable(o.IO.Out, o.IO.Terminal(), plan); err != nil {
				return fmt.Errorf("preflight --fix: write table: %w", err)
			}
			return nil
		},
		Lock: func(target string) (func(), error) {
			lock, err := lockTarget(o.Getenv, target, "preflight --fix")
			if err != nil {
				return nil, err
			}
			return func() { _ = lock.Unlock() }, nil
		},
		WriteBackup: o.writeBackup,
	}
	if !o.Yes {
		wo.Confirm = o.confirm
	}
	res, err := workflow.Fix(ctx, be, cfg, wo)
	var planErr *workflow.PlanError
	var beErr *workflow.BackendError
	switch {
	case errors.Is(err, workflow.ErrNotApplied):
		if o.SaveFacts != "" {
			o.IO.notice("facts not saved to %s: the plan was not applied", o.SaveFacts)
		}
		return &res, fmt.Errorf("preflight --fix: %w", err) // exitCodeOf: 4
	case errors.As(err, &planErr):
		return nil, withExit(exitUsage, planErr.Err)
	case errors.As(err, &beErr):
		return nil, fmt.Errorf("preflight --fix: %w", err)
	case err != nil:
		return nil, err
	}
	if err := saveFacts(o.SaveFacts, cfg, res.Facts, o.IO.notice); err != nil {
		return nil, err
	}
	if res.Applied && o.Output == "table" {
		fmt.Fprintf(o.IO.Out, "\nApplied %d change(s); backup: %s\n\n", len(res.Plan.Changes), res.Backup)
	}
	return &res, nil
}

// verdict is the exit of a fix whose plan went through: 1 when the
// re-checked pair still fails a check.
func (o *fixOptions) verdict(res *workflow.FixResult) error {
	if res.Result.Failed(o.Strict) {
		return silentExit(exitCheckFailed)
	}
	return nil
}

// confirm asks on a terminal whether to apply n changes; off a terminal it
// says how to apply and answers no.
func (o *fixOptions) confirm(n int) (bool, error) {
	if !o.IO.InTTY {
		o.IO.notice("not applied: standard input is not a terminal; re-run with --yes to apply the %d change(s)", n)
		return false, nil
	}
	fmt.Fprintf(o.IO.ErrOut, "Apply these %d change(s)? A backup is written first. [y/N] ", n)
	if o.answers == nil {
		// One reader for every question: a fleet asks once per pair, and
		// a fresh reader each time could swallow the next answers.
		o.answers = bufio.NewReader(o.IO.In)
	}
	line, err := o.answers.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("preflight --fix: read answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// writePlanTable prints the plan (OBJECT, SETTING, CURRENT, DESIRED, CHECK,
// NOTE), then what it leaves to the operator, in the style of the findings
// table: bordered and fitted to a terminal's width (t),
// plain and stable otherwise.
func writePlanTable(w io.Writer, t table.Terminal, p fix.Plan) error {
	if p.Empty() {
		if _, err := io.WriteString(w, "Plan: nothing to change.\n"); err != nil {
			return err
		}
	} else {
		if _, err := fmt.Fprintf(w, "Plan: %d change(s), in this order:\n", len(p.Changes)); err != nil {
			return err
		}
		rows := make([][]string, len(p.Changes))
		for i, c := range p.Changes {
			rows[i] = []string{c.Object, string(c.Setting), c.Current, c.Desired, c.Check, table.Dash(c.Note)}
		}
		if err := table.Write(w, t, table.Layout{Whole: checkColumn, Keep: mentionsCheck}, []string{"OBJECT", "SETTING", "CURRENT", "DESIRED", "CHECK", "NOTE"}, rows); err != nil {
			return err
		}
	}
	if len(p.Manual) > 0 {
		if _, err := fmt.Fprintf(w, "\nNot changed by --fix (%d):\n", len(p.Manual)); err != nil {
			return err
		}
		rows := make([][]string, len(p.Manual))
		for i, m := range p.Manual {
			rows[i] = []string{string(m.Check), string(m.Status), table.Dash(m.Network), m.Object, table.Dash(m.Note)}
		}
		if err := table.Write(w, t, table.Layout{Whole: checkColumn, Keep: mentionsCheck}, []string{"CHECK", "STATUS", "NETWORK", "OBJECT", "WHAT TO DO"}, rows); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// checkFixFlags refuses the --fix flags without --fix, and --check with
// it.
func checkFixFlags(cmd *cobra.Command, p *preflightOptions) error {
	if !p.Fix {
		var given []string
		p.FixFlags.set.VisitAll(func(fl *pflag.Flag) {
			if cmd.Flags().Changed(fl.Name) {
				given = append(given, "--"+fl.Name)
			}
		})
		if len(given) > 0 {
			return usageError("preflight %s needs --fix", strings.Join(given, ", "))
		}
		return nil
	}
	// One check's fix can depend on another's (promiscuous mode on a teamed
	// vSwitch needs Net.ReversePathFwdCheckPromisc): a plan is never split.
	if cmd.Flags().Changed("check") {
		return usageError("preflight --check does not go with --fix: a plan covers every check, since fixes depend on each other (promiscuous mode needs Net.ReversePathFwdCheckPromisc on a teamed vSwitch)")
	}
	return nil
}

// preflightOrFix is what carpvm preflight runs: the checks (preflightRun),
// or with --fix fixRun with the command's values.
func preflightOrFix(ctx context.Context, app *App, p *preflightOptions) error {
	if !p.Fix {
		return preflightRun(ctx, p)
	}
	simTopology, err := p.simTopology()
	if err != nil {
		return err
	}
	return fixRun(ctx, &fixOptions{
		IO: app.IO, Getenv: app.Getenv, LoadConfig: app.LoadConfig, LoadPairs: app.LoadPairs, Pair: app.pair, Connect: connectVSphere,
		Now: time.Now, Log: app.Logger(),
		Sim: p.Sim, SimTopology: simTopology, Output: p.Output, Strict: p.Strict, SaveFacts: p.SaveFacts, fixFlags: p.FixFlags,
	})
}
