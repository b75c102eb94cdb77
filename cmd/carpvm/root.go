package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
)

// App holds what every command shares: the streams, the environment and the
// persistent flags. There is no global state; tests build their own App.
type App struct {
	IO     IOStreams
	Getenv config.Getenv
	// Environ lists the whole environment, for the warnings about
	// CARPVM_* variables carpvm does not know; nil checks nothing.
	Environ config.Environ

	configFile string
	// pair is --pair of the commands that take it: the pair LoadConfig
	// selects in a fleet.
	pair     string
	logLevel string
	progress bool
}

// Logger returns a text logger on ErrOut at the --log-level chosen.
func (a *App) Logger() *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(a.logLevel)) // validated in PersistentPreRunE
	return slog.New(slog.NewTextHandler(a.IO.ErrOut, &slog.HandlerOptions{Level: lvl}))
}

// LoadConfig loads --config (with CARPVM_* and GOVC_* on top) and returns
// its one pair, or the one --pair names in a fleet. sim returns the
// built-in simulator configuration when no --config is given.
func (a *App) LoadConfig(sim bool) (*config.Config, error) {
	pairs, err := a.LoadPairs(sim)
	if err != nil {
		return nil, err
	}
	return config.SelectPair(pairs, a.pair)
}

// LoadPairs loads every pair of --config: a carpvm.yaml (one pair or a
// pairs list) or a directory of them. sim returns the built-in simulator
// configuration when no --config is given.
func (a *App) LoadPairs(sim bool) ([]*config.Config, error) {
	if sim && a.configFile == "" {
		return []*config.Config{config.Simulator()}, nil
	}
	if a.configFile == "" && a.Getenv("CARPVM_CONFIG") != "" {
		a.configFile = a.Getenv("CARPVM_CONFIG")
	}
	if a.configFile == "" {
		return nil, &config.Error{Key: "--config", Msg: "no configuration given; pass --config carpvm.yaml (or set CARPVM_CONFIG), or --sim for the built-in simulator"}
	}
	return config.LoadPath(a.configFile, a.Getenv)
}

// pairOrFleet loads the pair a command works on (--pair, or the only
// one), or every pair (cfg nil) of a fleet without --pair. Without
// loadPairs (a test's options) it is loadConfig's one pair.
func pairOrFleet(loadConfig func(sim bool) (*config.Config, error), loadPairs func(sim bool) ([]*config.Config, error), sim bool, pair string) (cfg *config.Config, fleet []*config.Config, err error) {
	if loadPairs == nil {
		cfg, err = loadConfig(sim)
		return cfg, nil, err
	}
	pairs, err := loadPairs(sim)
	if err != nil {
		return nil, nil, err
	}
	if len(pairs) > 1 && pair == "" {
		return nil, pairs, nil
	}
	cfg, err = config.SelectPair(pairs, pair)
	return cfg, nil, err
}

// addPairFlag adds --pair, which selects one pair of a fleet.
func addPairFlag(cmd *cobra.Command, app *App, what string) {
	cmd.Flags().StringVar(&app.pair, "pair", "", what)
	completeFlag(cmd, "pair", completePair(app))
}

// newRootCmd builds the whole command tree explicitly; each command gets
// a nil runF, so it runs its own work.
func newRootCmd(app *App) *cobra.Command {
	root := rootCommand(app)
	root.AddCommand(
		newPreflightCmd(app, nil),
		newAuditCmd(app, nil),
		newSimCmd(app, nil),
		newNodeCmd(app),
		newWatchCmd(app, nil),
		newLabCmd(app),
		newDrillCmd(app, nil),
		newExplainCmd(app, nil),
		newRenderCmd(app, nil),
		newConfigCmd(app),
		newGenManCmd(app),
		newVersionCmd(app, nil),
	)
	fitHelp(root)
	return root
}

// rootCommand is carpvm without its commands: the persistent flags
// (--config, --log-level, --progress) into app, and the streams.
func rootCommand(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "carpvm",
		Short: "Find, fix and drill the vSphere settings a CARP router pair needs",
		Long: `carpvm checks that the ESXi/vCenter network under a pair of CARP routers lets
CARP work (preflight), fixes it safely (preflight --fix), and proves failover
with live drills (drill). Its embedded CARP node (node, watch) is wire-compatible
with FreeBSD/OpenBSD CARP and ucarp.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(app.logLevel)); err != nil {
				return usageError("--log-level %q: want debug, info, warn or error", app.logLevel)
			}
			app.IO.Progress = app.IO.Progress || app.progress
			return nil
		},
	}
	// --version prints the line carpvm version prints.
	root.Version = currentBuild().String()
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(app.IO.In)
	root.SetOut(app.IO.Out)
	root.SetErr(app.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExit(exitUsage, err) })
	root.PersistentFlags().StringVar(&app.configFile, "config", "", "configuration file (carpvm.yaml); env CARPVM_CONFIG")
	root.PersistentFlags().StringVar(&app.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().BoolVar(&app.progress, "progress", false, "print progress lines on stderr even when it is not a terminal (on a terminal they are always printed)")
	return root
}

// run executes carpvm with args and returns the process exit code.
func run(ctx context.Context, args []string, streams IOStreams, getenv config.Getenv) int {
	return runApp(ctx, &App{IO: streams, Getenv: getenv}, args)
}

// runApp executes carpvm with args in app and returns the process exit
// code. It first warns of the CARPVM_* variables carpvm does not know.
func runApp(ctx context.Context, app *App, args []string) int {
	if app.Environ != nil {
		for _, w := range config.CheckEnviron(app.Environ()) {
			fmt.Fprintln(app.IO.ErrOut, "carpvm: warning: "+w)
		}
	}
	root := newRootCmd(app)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && isCobraUsageError(err) {
		err = withExit(exitUsage, err)
	}
	code, print := exitCodeOf(err)
	if print {
		fmt.Fprintln(app.IO.ErrOut, "carpvm: "+err.Error())
	}
	return code
}

// isCobraUsageError recognises cobra's own argument errors, which it does not type.
func isCobraUsageError(err error) bool {
	var ee *exitError
	if errors.As(err, &ee) {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// notYet is the clear error of a command whose capability has not landed.
func notYet(what, issue string) error {
	return withExit(exitUsage, fmt.Errorf("%s is not implemented yet (%s)", what, issue))
}
