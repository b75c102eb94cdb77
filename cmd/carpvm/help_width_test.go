package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// maxHelpColumns is the widest line --help may print.
const maxHelpColumns = 100

// TestHelpFitsInHundredColumns: no line of any command's --help is wider
// than 100 columns: its description, usage, examples and flag lists (a
// long usage line or example is continued on the next, with a backslash
// in an example, as a shell reads it), and no flag shows a value name
// other than its own (pflag takes backquoted usage text as the value
// name: --save-facts showed "carpvm lab up --facts FILE").
func TestHelpFitsInHundredColumns(t *testing.T) {
	root := newRootCmd(&App{IO: IOStreams{}, Getenv: func(string) string { return "" }})
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Hidden {
			return
		}
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		if err := c.Help(); err != nil {
			t.Fatalf("%s --help: %v", c.CommandPath(), err)
		}
		section := "description"
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasSuffix(line, ":") && !strings.HasPrefix(line, " ") {
				section = strings.TrimSuffix(line, ":")
			}
			if n := len([]rune(line)); n > maxHelpColumns {
				t.Errorf("%s --help (%s): a line of %d columns:\n%s", c.CommandPath(), section, n, line)
			}
		}
		if strings.Contains(out.String(), "--save-facts carpvm") {
			t.Errorf("%s --help: --save-facts has a backquoted value name", c.CommandPath())
		}
	}
	walk(root)
}

// TestWrapCommandLine: a command line is broken at spaces outside
// brackets, continuation lines indented, none wider than asked unless a
// single word is.
func TestWrapCommandLine(t *testing.T) {
	for _, tc := range []struct {
		line  string
		width int
		want  []string
	}{
		{"carpvm a [--b B]", 40, []string{"carpvm a [--b B]"}},
		{"carpvm drill (--lab | --sim) [--topology NAME] [-o table|json]", 30,
			[]string{"carpvm drill (--lab | --sim)", "    [--topology NAME]", "    [-o table|json]"}},
		{"carpvm [--a-very-long-flag VALUE]", 25, []string{"carpvm", "    [--a-very-long-flag", "    VALUE]"}},
		{"carpvm averyveryverylongword", 10, []string{"carpvm", "    averyveryverylongword"}},
	} {
		got := wrapCommandLine(tc.line, tc.width, "    ")
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("wrapCommandLine(%q, %d) = %q, want %q", tc.line, tc.width, got, tc.want)
		}
	}
}
