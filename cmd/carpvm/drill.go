package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/history"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/internal/statepaths"
	"github.com/carpvm/carpvm/workflow"
)

// drillOptions are the flags of carpvm drill.
type drillOptions struct {
	Lab            bool
	Sim            bool
	NoWitness      bool
	Topology       string
	LabPrefix      string
	LabStateDir    string
	Network        string
	Trigger        string
	Command        string
	RestoreCommand string
	// Interfaces are the --interface values: IF, or PAIR=IF for a fleet.
	Interfaces  []string
	MaxTakeover time.Duration
	MaxBlackout time.Duration
	Deadline    time.Duration
	Stun        time.Duration
	StunSet     bool
	Force       bool
	DryRun      bool
	History     string
	NoHistory   bool
	MetricsFile string
	Report      string
	Output      string
}

// newDrillCmd is carpvm drill; runF (nil: drillRun) gets its options.
func newDrillCmd(app *App, runF func(context.Context, *drillOptions) error) *cobra.Command {
	o := &drillOptions{}
	if runF == nil {
		runF = func(ctx context.Context, o *drillOptions) error { return drillRun(ctx, app, o) }
	}
	cmd := &cobra.Command{
		Use:   "drill (--lab | --config carpvm.yaml | --sim [--topology NAME]) [--network NAME] [--trigger KIND] [-o table|json] [--dry-run]",
		Short: "Run a live failover drill: trigger, measure takeover and blackout, restore, report",
		Long: `drill makes the CARP master fail on purpose and measures what clients live
through, in phases: gate (preflight, or lab health; a failure stops the drill
unless --force), baseline (a witness finds the master and checks the VIP's MAC),
trigger (--trigger nic-disconnect, link-down, power-off, demote, stun, or
partition in the lab),
measure (detection: last advert of the old master to first advert of the new;
blackout: last good reply to first good reply of a prober pinging and ARPing the
VIP every 10 ms; the MAC answering the VIP; gratuitous ARPs; the switch
relearning the MAC), restore (reconnect, power on, un-demote, heal; then wait
for the preferred master back) and report.

stun freezes the master for --duration (lab: SIGSTOP its node and silence its
switch ports; vSphere: a memory snapshot, removed after) and lets it return
believing it is still master, as ESXi does to a VM for a snapshot or vMotion;
the drill measures the split brain after the return, that one master is left,
and the clients' blackout until the VIP answers again (no waiting for ARP
caches to expire: the returning node re-announces).

A drill that sees no new master within its deadline restores at once and fails;
Ctrl-C or SIGTERM restores before exiting; --dry-run prints the plan and
touches nothing. A lock per pair (per lab prefix) keeps two drills off one
pair whatever their --history: /run/lock/carpvm as root, else
$XDG_RUNTIME_DIR/carpvm/locks ($CARPVM_LOCK_DIR overrides). Each run is
appended to the history (--history DIR) and can update Prometheus textfile
metrics; the directories of --metrics-file and --report are created before
the drill starts.

On vSphere the witness needs an interface of this machine on the CARP segment
(--interface), and networks[].addresses must give each router's address.

A fleet (pairs: in carpvm.yaml, or --config DIR) is drilled pair by pair
without --pair: pairs on one vCenter in turn through one session, distinct
vCenters at once (at most 4), each pair under its own lock, into one
report with a section per pair; the exit code is the worst pair's. Each
pair's witness is named with --interface PAIR=IF (IF alone: every pair's).

--sim drills the vSphere path end to end against the embedded simulator
(--topology; the built-in pair unless --config is given): the gate runs
preflight on it, the trigger (nic-disconnect, link-down or power-off) acts
through the vSphere API and is read back (NIC disconnected, VM powered off),
then undone and read back. The simulator carries no CARP traffic: takeover,
blackout, the new master and the VIP's MAC are not measured, and the report
lists them under "unavailable" with a notice instead of figures. A --sim
drill records no history and writes no metrics. The simulated pair fails
preflight (as a fresh ESXi does): --force drills past the gate.

Exit codes: 0 the drill passed, 1 it failed, 2 usage or configuration error,
3 vSphere unreachable or refused.`,
		Example: `  carpvm lab up --advbase 1 && carpvm drill --lab --trigger power-off
  carpvm drill --sim --network intranought --trigger power-off --force
  carpvm drill --lab --trigger stun --duration 10s
  carpvm drill --config carpvm.yaml --network intranought --trigger nic-disconnect \
      --interface ens224
  carpvm drill --sim --config docs/examples/fleet.yaml --pair roubaix --trigger power-off --dry-run
  carpvm drill --config fleet.yaml --trigger nic-disconnect --interface paris=ens224,roubaix=ens256
  carpvm drill --config carpvm.yaml --trigger demote --interface ens224 \
      --command 'ssh root@$CARPVM_ROUTER ifconfig vmx0 vhid $CARPVM_VHID state backup'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.StunSet = cmd.Flags().Changed("duration")
			if err := o.check(); err != nil {
				return err
			}
			return runF(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Lab, "lab", false, "drill the network-namespace lab (carpvm lab up)")
	f.BoolVar(&o.Sim, "sim", false, "drill the vSphere path against the embedded simulator (no CARP traffic: triggers read back, takeover not measured)")
	f.BoolVar(&o.NoWitness, "no-witness", false, "vSphere: drill without a witness (nic-disconnect, link-down, power-off): the trigger and its undo are read back from vCenter, takeover is not measured, nothing is recorded")
	f.StringVar(&o.Topology, "topology", "default", "with --sim: the simulated inventory, one of "+strings.Join(workflow.Topologies(), ", "))
	completeFlag(cmd, "topology", completeValues(workflow.Topologies))
	f.StringVar(&o.LabPrefix, "lab-prefix", lab.DefaultPrefix, "the lab's namespace prefix")
	f.StringVar(&o.LabStateDir, "lab-state-dir", lab.DefaultStateDir, "the lab's state directory")
	addPairFlag(cmd, app, "drill only this pair of a fleet (without it, every pair, into one report; each pair under its own lock)")
	f.StringVar(&o.Network, "network", "", "drill only this network (default: each in turn)")
	completeFlag(cmd, "network", completeNetwork(app))
	f.StringVar(&o.Trigger, "trigger", string(failover.TriggerNICDisconnect), failover.TriggerNames()+" (partition: lab only)")
	completeFlag(cmd, "trigger", completeValues(triggerValues))
	f.StringVar(&o.Command, "command", "", "demote command for a FreeBSD master (sh -c; env CARPVM_ROUTER, CARPVM_VM, CARPVM_NETWORK, CARPVM_VHID, CARPVM_INTERFACE)")
	f.StringVar(&o.RestoreCommand, "restore-command", "", "command that undoes --command (optional)")
	f.StringSliceVar(&o.Interfaces, "interface", nil, "vSphere: this machine's interface on the CARP segment, for the witness and prober; in a fleet PAIR=IF for each pair (IF alone: every pair)")
	f.DurationVar(&o.MaxTakeover, "max-takeover", 0, "takeover objective (default master-down + 1s)")
	f.DurationVar(&o.MaxBlackout, "max-blackout", 0, "client blackout objective (default master-down + 1s)")
	f.DurationVar(&o.Deadline, "deadline", 0, "give up waiting for a new master after this long, restore and fail (default 2 x objective + 2s)")
	f.DurationVar(&o.Stun, "duration", failover.DefaultStun, "--trigger stun: how long the master stays frozen")
	f.BoolVar(&o.Force, "force", false, "drill although the gate failed")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the plan; touch nothing")
	f.StringVar(&o.History, "history", "", "history directory (default $XDG_STATE_HOME/carpvm/drills or ~/.local/state/carpvm/drills)")
	f.BoolVar(&o.NoHistory, "no-history", false, "do not record this run")
	f.StringVar(&o.MetricsFile, "metrics-file", "", "write Prometheus textfile metrics here, atomically: a .prom file in node_exporter's textfile collector directory, e.g. "+history.MetricsFile)
	f.StringVar(&o.Report, "report", "", "write a Markdown report to this file")
	outputFlag(cmd, &o.Output)
	cmd.AddCommand(newDrillHistoryCmd(app, nil), newDrillRestoreCmd(app, nil))
	return cmd
}

// check refuses flag values no drill takes (the target's are
// workflow.ChooseDrill's to check).
func (o *drillOptions) check() error {
	if err := checkOutput("drill", o.Output); err != nil {
		return err
	}
	trigger, err := failover.ParseTrigger(o.Trigger)
	if err != nil {
		return usageError("drill: --%v", err)
	}
	for _, d := range []struct {
		flag string
		d    time.Duration
	}{{"--max-takeover", o.MaxTakeover}, {"--max-blackout", o.MaxBlackout}, {"--deadline", o.Deadline}} {
		if d.d < 0 {
			return usageError("drill: %s %s: want a positive duration", d.flag, d.d)
		}
	}
	if trigger == failover.TriggerStun {
		if err := failover.CheckStun(o.Stun); err != nil {
			return usageError("drill: --duration: %v", err)
		}
	} else if o.StunSet {
		return usageError("drill: --duration is for --trigger stun, not %s", trigger)
	}
	return nil
}

// drillRun drills what the options choose (workflow.ChooseDrill): one
// pair, or each pair of a fleet.
func drillRun(ctx context.Context, app *App, o *drillOptions) error {
	trigger := failover.Trigger(o.Trigger) // checked by check
	t, fleet, err := workflow.ChooseDrill(ctx, o.targetOptions(app, trigger))
	if err != nil {
		return err
	}
	if fleet != nil {
		return drillFleetRun(ctx, app, o, trigger, fleet)
	}
	defer t.Close()

	fopts := o.failoverOptions(app.Logger(), t.Env, t.Networks, t.Owned, trigger)
	if o.DryRun {
		return failover.WritePlan(app.IO.Out, app.IO.Terminal(), o.Output == "json", failover.Plan(t.Env, trigger, t.Networks, fopts))
	}
	histDir, err := o.prepareOutputs(app)
	if err != nil {
		return err
	}
	reps, runErr := drillPair(ctx, app, o, fopts, histDir, app.IO.progress)
	if len(reps) > 0 {
		if err := printDrill(app, o, reps); err != nil {
			return err
		}
		if err := o.record(app, histDir).Record(reps); err != nil {
			return err
		}
	}
	return drillVerdict(runErr, reps)
}

// targetOptions are the flags that choose the drill's target.
func (o *drillOptions) targetOptions(app *App, trigger failover.Trigger) workflow.DrillTargetOptions {
	return workflow.DrillTargetOptions{
		Lab: o.Lab, LabPrefix: o.LabPrefix, LabStateDir: o.LabStateDir, Sim: o.Sim, Topology: o.Topology, NoWitness: o.NoWitness,
		ConfigFlag: app.configFile != "", ConfigEnv: app.Getenv("CARPVM_CONFIG") != "", LoadPairs: app.LoadPairs, Pair: app.pair,
		Network: o.Network, Trigger: trigger, Command: o.Command, RestoreCommand: o.RestoreCommand, Interfaces: o.Interfaces,
		MetricsFile: o.MetricsFile, History: o.History, DryRun: o.DryRun, Progress: app.IO.progress,
	}
}

// failoverOptions are the drill's options for one pair.
func (o *drillOptions) failoverOptions(log *slog.Logger, env failover.Env, nets, owned []failover.Network, trigger failover.Trigger) failover.Options {
	return failover.Options{
		Env: env, Trigger: trigger, Networks: nets, Map: owned, MaxTakeover: o.MaxTakeover, MaxBlackout: o.MaxBlackout,
		Deadline: o.Deadline, Force: o.Force, Log: log, Stun: o.Stun, Unwitnessed: o.Sim || o.NoWitness, NoHistory: o.NoHistory,
	}
}

// prepareOutputs settles where the results go before the drill, so that a
// passed drill does not fail on a missing directory afterwards: the
// history directory (none with --sim, which records nothing) and those of
// --metrics-file and --report.
func (o *drillOptions) prepareOutputs(app *App) (histDir string, err error) {
	if !o.Sim { // the history directory holds the journal too
		if histDir = o.History; histDir == "" {
			if histDir, err = statepaths.DrillHistory(app.Getenv); err != nil {
				return "", withExit(exitUsage, err)
			}
		}
	}
	for flag, path := range map[string]string{"--metrics-file": o.MetricsFile, "--report": o.Report} {
		if err := workflow.PrepareOutput(path); err != nil {
			return "", usageError("drill: %s %s: %v", flag, path, err)
		}
	}
	return histDir, nil
}

// drillPair drills one pair (workflow.DrillPair): under its lock, in one
// place whatever --history says, its journal in the history directory;
// --sim drills unwitnessed and takes no lock.
func drillPair(ctx context.Context, app *App, o *drillOptions, fopts failover.Options, histDir string, progress func(string, ...any)) ([]failover.Report, error) {
	opts := workflow.DrillPairOptions{Simulated: o.Sim, Unwitnessed: o.NoWitness, Progress: progress}
	if !o.Sim {
		dir, err := statepaths.DrillLocks(app.Getenv, os.Geteuid() == 0)
		if err != nil {
			return nil, withExit(exitUsage, err)
		}
		opts.LockDir = dir
		fopts.JournalDir, fopts.JournalRestore = histDir, o.restoreCommand(app, fopts.Env.Pair())
		fopts.OnJournal = stopAtSeam(app.Getenv)
	}
	return workflow.DrillPair(ctx, fopts, opts)
}

// drillVerdict is a drill's exit: 1 when it failed or was interrupted (and
// whether the pair was restored), the run's own error otherwise.
func drillVerdict(runErr error, reps []failover.Report) error {
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			return withExit(exitCheckFailed, fmt.Errorf("drill interrupted; restored: %t", allRestored(reps)))
		}
		return runErr
	}
	if !failover.Passed(reps) {
		return silentExit(exitCheckFailed)
	}
	return nil
}

func allRestored(reps []failover.Report) bool {
	for _, r := range reps {
		if _, triggered := r.Phase(failover.PhaseTrigger); triggered && !r.Restored {
			return false
		}
	}
	return true
}

// printDrill prints one pair's reports.
func printDrill(app *App, o *drillOptions, reps []failover.Report) error {
	if o.Output == "json" {
		return failover.WriteJSON(app.IO.Out, reps, o.Network == "")
	}
	return failover.WriteTable(app.IO.Out, app.IO.Terminal(), reps)
}

// record is where the drill's results go: --report, the history (none
// with --sim, which measured nothing), --metrics-file.
func (o *drillOptions) record(app *App, histDir string) workflow.DrillRecord {
	// --no-witness measured nothing: it is not recorded.
	return workflow.DrillRecord{Report: o.Report, History: histDir, NoHistory: o.NoHistory || o.NoWitness, MetricsFile: o.MetricsFile, Notice: app.IO.notice}
}

// drillHistoryOptions are the flags of carpvm drill history.
type drillHistoryOptions struct {
	History string
	Pair    string
	Report  string
	Output  string
}

// newDrillHistoryCmd is carpvm drill history; runF (nil: drillHistoryRun)
// gets its options.
func newDrillHistoryCmd(app *App, runF func(context.Context, *drillHistoryOptions) error) *cobra.Command {
	o := &drillHistoryOptions{}
	if runF == nil {
		runF = func(_ context.Context, o *drillHistoryOptions) error { return drillHistoryRun(app, o) }
	}
	cmd := &cobra.Command{
		Use: "history [--pair NAME] [--report FILE] [-o table|json]",
		Example: `  carpvm drill history
  carpvm drill history -o json
  carpvm drill history --pair routers --report drills.md`,
		Short: "Show the recorded drills and their trend",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.History, "history", "", "history directory (default $XDG_STATE_HOME/carpvm/drills or ~/.local/state/carpvm/drills)")
	cmd.Flags().StringVar(&o.Pair, "pair", "", "only the drills of this pair")
	cmd.Flags().StringVar(&o.Report, "report", "", "also write a Markdown report with a chart of takeover and blackout over time to this file")
	outputFlag(cmd, &o.Output)
	return cmd
}

// drillHistoryRun prints the recorded drills (of o.Pair) and their trend,
// and writes the report.
func drillHistoryRun(app *App, o *drillHistoryOptions) error {
	if err := checkOutput("drill history", o.Output); err != nil {
		return err
	}
	dir := o.History
	if dir == "" {
		var err error
		if dir, err = statepaths.DrillHistory(app.Getenv); err != nil {
			return withExit(exitUsage, err)
		}
	}
	hist, err := history.Read(dir)
	if err != nil {
		return err
	}
	if note := hist.SkippedNote(dir); note != "" {
		fmt.Fprintf(app.IO.ErrOut, "drill history: %s\n", note)
	}
	reps := hist.Runs
	if o.Pair != "" {
		if reps = history.PairRuns(hist.Runs, o.Pair); len(reps) == 0 {
			return usageError("drill history --pair %q: no drill of that pair in %s (pairs: %s)", o.Pair, dir, strings.Join(history.Pairs(hist.Runs), ", "))
		}
	}
	if o.Report != "" {
		var b strings.Builder
		if err := history.WriteMarkdown(&b, reps, o.Pair); err != nil {
			return err
		}
		if err := os.WriteFile(o.Report, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("drill history: write report: %w", err)
		}
	}
	if o.Output == "json" {
		return writeDocument(app.IO.Out, "drill-history", drillHistoryDocument{Runs: reps, Trends: history.Trends(reps), SkippedLines: hist.Skipped})
	}
	return history.WriteTable(app.IO.Out, app.IO.Terminal(), reps)
}

// drillHistoryDocument is the -o json output of carpvm drill history.
type drillHistoryDocument struct {
	Runs         []failover.Report `json:"runs"`
	Trends       []history.Trend   `json:"trends"`
	SkippedLines int               `json:"skipped_lines"`
}
