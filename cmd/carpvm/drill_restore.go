package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/internal/statepaths"
	"github.com/carpvm/carpvm/workflow"
)

// drillRestoreOptions are the flags of carpvm drill restore.
type drillRestoreOptions struct {
	Lab         bool
	Sim         bool
	LabPrefix   string
	LabStateDir string
	History     string
}

// newDrillRestoreCmd is carpvm drill restore; runF (nil:
// drillRestoreRun) gets its options.
func newDrillRestoreCmd(app *App, runF func(context.Context, *drillRestoreOptions) error) *cobra.Command {
	o := &drillRestoreOptions{}
	if runF == nil {
		runF = func(ctx context.Context, o *drillRestoreOptions) error { return drillRestoreRun(ctx, app, o) }
	}
	cmd := &cobra.Command{
		Use:   "restore [--pair NAME] [--lab | --sim | --config FILE] [--history DIR]",
		Short: "Finish the restore of a drill that was killed: read its journal, re-read, undo, verify",
		Long: `restore finishes a drill that was killed between its trigger and its restore
(an evicted or OOM-killed CronJob pod, SIGKILL). Before its trigger a drill
writes a journal in its history directory (drill-PAIR.journal.json: the
target, the pair, the trigger, each object it changes with its state before);
restore reads it, reads the object back first (the VM's power state, its
NIC's connection, the stun snapshot; the lab's switch ports and routers),
undoes the trigger when it is still in effect, reads it back again and only
then removes the journal. A new drill of the pair does this first by itself.

Exit codes: 0 nothing to restore, or restored and read back; 1 the trigger is
still in effect after the undo (the journal is kept); 2 usage, or the journal
belongs to another target; 3 vSphere unreachable (the journal is kept: the
message names each object's state; run restore again once it is back).`,
		Example: `  carpvm drill restore --config carpvm.yaml
  carpvm drill restore --config fleet.yaml --pair roubaix --history /var/lib/carpvm/drills
  carpvm drill restore --lab`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Lab, "lab", false, "restore a drill of the network-namespace lab")
	f.BoolVar(&o.Sim, "sim", false, "a drill of the embedded simulator (it ends with its drill: nothing is ever left to restore)")
	f.StringVar(&o.LabPrefix, "lab-prefix", lab.DefaultPrefix, "the lab's namespace prefix")
	f.StringVar(&o.LabStateDir, "lab-state-dir", lab.DefaultStateDir, "the lab's state directory")
	addPairFlag(cmd, app, "restore only this pair of a fleet (without it, every pair)")
	f.StringVar(&o.History, "history", "", "the drills' history directory, where the journal is (default $XDG_STATE_HOME/carpvm/drills or ~/.local/state/carpvm/drills)")
	return cmd
}

func drillRestoreRun(ctx context.Context, app *App, o *drillRestoreOptions) error {
	switch {
	case o.Lab && o.Sim:
		return usageError("drill restore: --lab and --sim are exclusive")
	case o.Lab && (app.configFile != "" || app.pair != ""):
		return usageError("drill restore: --lab is one pair; --config and --pair are for vSphere")
	case o.Sim:
		fmt.Fprintln(app.IO.Out, "nothing to restore: the embedded simulator ends with the drill that started it")
		return nil
	case !o.Lab && app.configFile == "" && app.Getenv("CARPVM_CONFIG") == "":
		return usageError("drill restore: want --lab, or --config carpvm.yaml for a pair on vSphere")
	}
	histDir := o.History
	if histDir == "" {
		var err error
		if histDir, err = statepaths.DrillHistory(app.Getenv); err != nil {
			return withExit(exitUsage, err)
		}
	}
	lockDir, err := statepaths.DrillLocks(app.Getenv, os.Geteuid() == 0)
	if err != nil {
		return withExit(exitUsage, err)
	}
	opts := workflow.DrillRestoreOptions{LockDir: lockDir, JournalDir: histDir}
	if o.Lab {
		l, err := lab.Open(lab.Options{Prefix: o.LabPrefix, StateDir: o.LabStateDir}, nil)
		if err != nil {
			return withExit(exitUsage, err)
		}
		r, err := workflow.RestoreDrill(ctx, &lab.Env{Lab: l}, opts)
		return o.report(app, r, err)
	}
	pairs, err := app.LoadPairs(false)
	if err != nil {
		return err
	}
	if app.pair != "" {
		cfg, err := config.SelectPair(pairs, app.pair)
		if err != nil {
			return err
		}
		pairs = []*config.Config{cfg}
	}
	// Each pair in turn; the exit code is the worst pair's.
	var worst error
	worstCode := exitOK
	for _, cfg := range pairs {
		env := &vsphereenv.Env{Config: cfg, URL: workflow.PrintableTarget("", cfg, false), NoWitness: true}
		opts.Connect = func(ctx context.Context) (func(), error) {
			return workflow.OpenDrill(ctx, cfg, "", env, app.IO.progress)
		}
		r, err := workflow.RestoreDrill(ctx, env, opts)
		if err := o.report(app, r, err); err != nil {
			if code, _ := exitCodeOf(err); code > worstCode || worst == nil {
				worst, worstCode = err, max(code, worstCode)
			}
			if len(pairs) > 1 {
				fmt.Fprintf(app.IO.ErrOut, "carpvm: pair %s: %v\n", cfg.Pair.Name, err)
			}
		}
	}
	if worst != nil && len(pairs) > 1 {
		return silentExit(worstCode)
	}
	return worst
}

// report prints what a restore did; its error is the command's.
func (o *drillRestoreOptions) report(app *App, r failover.Restored, err error) error {
	if err == nil {
		fmt.Fprintln(app.IO.Out, r)
	}
	return err
}

// restoreCommand is the drill restore command that finishes a drill run
// with o's flags on pair: what a journal left behind names.
func (o *drillOptions) restoreCommand(app *App, pair string) string {
	args := []string{"carpvm", "drill", "restore"}
	if o.Lab {
		args = append(args, "--lab")
		if o.LabPrefix != lab.DefaultPrefix {
			args = append(args, "--lab-prefix", o.LabPrefix)
		}
		if o.LabStateDir != lab.DefaultStateDir {
			args = append(args, "--lab-state-dir", o.LabStateDir)
		}
	} else {
		file := app.configFile
		if file == "" {
			file = app.Getenv("CARPVM_CONFIG")
		}
		args = append(args, "--config", file, "--pair", pair)
	}
	if o.History != "" {
		args = append(args, "--history", o.History)
	}
	return strings.Join(args, " ")
}

// stopAtEnv names the test seam that kills a drill at a journal phase
// (failover.JournalPhases): the drill SIGKILLs itself once that phase is
// recorded, as an evicted pod dies, so that tests kill a real carpvm
// process at each phase and restore after it.
const stopAtEnv = "CARPVM_TEST_DRILL_STOP_AT"

// stopAtSeam is the drill's journal hook for $CARPVM_TEST_DRILL_STOP_AT;
// nil when it is unset.
func stopAtSeam(getenv config.Getenv) func(phase string) {
	at := getenv(stopAtEnv)
	if at == "" {
		return nil
	}
	return func(phase string) {
		if phase != at {
			return
		}
		self, err := os.FindProcess(os.Getpid())
		if err == nil {
			_ = self.Kill() // SIGKILL: no deferred restore, no unlock
		}
		select {} // the kill is on its way
	}
}
