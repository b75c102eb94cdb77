package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/preflight"
)

// Flag value completion (carpvm completion bash|zsh|fish): each function
// offers the values from the list the command checks the flag against.

// outputFormats are the values of -o/--output; each command still checks
// its own.
func outputFormats() []string { return []string{"table", "json"} }

// completeValues offers the values that start with what is typed, never
// file names.
func completeValues(values func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values() {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeList completes one item of a comma-separated list (--check a,b):
// the items already typed stay, those already chosen are not offered again.
func completeList(values func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		chosen := strings.Split(done, ",")
		var out []cobra.Completion
		for _, v := range values() {
			if strings.HasPrefix(v, last) && !slices.Contains(chosen, v) {
				out = append(out, done+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFlag registers fn for the flag's values; a wrong flag name is a
// programming error, which any test that builds the command tree meets.
func completeFlag(cmd *cobra.Command, flag string, fn cobra.CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, fn); err != nil {
		panic(err)
	}
}

func triggerValues() []string {
	var names []string
	for _, t := range failover.Triggers() {
		names = append(names, string(t))
	}
	return names
}

func checkIDs() []string {
	var ids []string
	for _, c := range preflight.Checks() {
		ids = append(ids, string(c))
	}
	return ids
}

// completePair offers the pairs of the configuration given with --config
// (or CARPVM_CONFIG); nothing without one.
func completePair(app *App) cobra.CompletionFunc {
	return completeValues(func() []string {
		if app.configFile == "" && app.Getenv("CARPVM_CONFIG") == "" {
			return nil
		}
		pairs, err := app.LoadPairs(false)
		if err != nil {
			return nil
		}
		var names []string
		for _, c := range pairs {
			names = append(names, c.Pair.Name)
		}
		return names
	})
}

// completeNetwork offers the networks of the configuration given with
// --config (or CARPVM_CONFIG); nothing without one.
func completeNetwork(app *App) cobra.CompletionFunc {
	return completeValues(func() []string {
		if app.configFile == "" && app.Getenv("CARPVM_CONFIG") == "" {
			return nil
		}
		cfg, err := app.LoadConfig(false)
		if err != nil {
			return nil
		}
		var names []string
		for _, n := range cfg.Networks {
			names = append(names, n.Name)
		}
		return names
	})
}
