package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/workflow"
)

// complete runs cobra's hidden __complete command as a shell does and
// returns the values offered and the directive line.
func complete(t *testing.T, env map[string]string, args ...string) (values []string, directive string) {
	t.Helper()
	got := runCLI(t, env, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if got.code != exitOK {
		t.Fatalf("__complete %q: exit %d\n%s", args, got.code, got.stderr)
	}
	lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
	directive = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		values = append(values, strings.SplitN(l, "\t", 2)[0])
	}
	return values, directive
}

// TestFlagValueCompletion: the values a flag takes are offered from the
// one list the command checks them against, and never file names.
func TestFlagValueCompletion(t *testing.T) {
	var triggers, checks []string
	for _, tr := range failover.Triggers() {
		triggers = append(triggers, string(tr))
	}
	for _, c := range preflight.Checks() {
		checks = append(checks, string(c))
	}
	noFiles := ":" + strconv.Itoa(int(cobra.ShellCompDirectiveNoFileComp))
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"drill --trigger", nil, []string{"drill", "--trigger", ""}, triggers},
		{"drill --trigger, a prefix", nil, []string{"drill", "--trigger", "p"}, []string{"power-off", "partition"}},
		{"preflight --topology", nil, []string{"preflight", "--sim", "--topology", ""}, workflow.Topologies()},
		{"sim --topology", nil, []string{"sim", "--topology", ""}, workflow.Topologies()},
		{"preflight --check", nil, []string{"preflight", "--check", ""}, checks},
		{"preflight --check, after a comma", nil, []string{"preflight", "--check", "security.promiscuous,security.ma"},
			[]string{"security.promiscuous,security.mac_changes"}},
		{"lab up --peer", nil, []string{"lab", "up", "--peer", ""}, lab.Peers()},
		{"drill --network from --config", nil, []string{"drill", "--config", "../../docs/examples/active-active.yaml", "--network", ""}, []string{"intranought", "public"}},
		{"watch --network from CARPVM_CONFIG", map[string]string{"CARPVM_CONFIG": "../../docs/examples/active-active.yaml"}, []string{"watch", "--network", ""}, []string{"intranought", "public"}},
		{"drill --network without a configuration", nil, []string{"drill", "--lab", "--network", ""}, nil},
		{"preflight --pair from a fleet", nil, []string{"preflight", "--config", "../../docs/examples/fleet.yaml", "--pair", ""}, []string{"paris", "roubaix"}},
		{"render --pair without a configuration", nil, []string{"render", "freebsd", "--pair", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, directive := complete(t, tt.env, tt.args...)
			if !slices.Equal(got, tt.want) || directive != noFiles {
				t.Errorf("offered %q (directive %s), want %q (directive %s)", got, directive, tt.want, noFiles)
			}
		})
	}
}

// TestOutputCompletion: every command with -o offers table and json (audit
// markdown too).
func TestOutputCompletion(t *testing.T) {
	root := newRootCmd(&App{IO: IOStreams{}, Getenv: func(string) string { return "" }})
	var paths [][]string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("output") != nil {
			paths = append(paths, strings.Fields(c.CommandPath())[1:])
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(paths) < 5 {
		t.Fatalf("found -o on %d commands only: %q", len(paths), paths)
	}
	for _, p := range paths {
		for _, flag := range []string{"-o", "--output"} {
			want := []string{"table", "json"}
			if slices.Equal(p, []string{"audit"}) || slices.Equal(p, []string{"explain"}) {
				want = append(want, "markdown")
			}
			got, _ := complete(t, nil, append(p, flag, "")...)
			if !slices.Equal(got, want) {
				t.Errorf("carpvm %s %s: offered %q, want %s", strings.Join(p, " "), flag, got, strings.Join(want, ", "))
			}
		}
	}
}
