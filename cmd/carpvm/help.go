package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// helpColumns is the width --help fits its flag lists into, whatever the
// terminal: pflag's own lists put each usage on one line, however long.
const helpColumns = 100

// fitHelp makes every command under root fit its --help into
// helpColumns: the flags' usage text wrapped (pflag's FlagUsagesWrapped),
// and a usage line longer than that continued on the next lines. The
// wrapped usage line is written into the command's own template, not
// through a template function (cobra keeps those in a global map), and
// every command gets its own so that none inherits a parent's line.
func fitHelp(root *cobra.Command) {
	cols := strconv.Itoa(helpColumns)
	tmpl := strings.NewReplacer(
		".LocalFlags.FlagUsages", ".LocalFlags.FlagUsagesWrapped "+cols,
		".InheritedFlags.FlagUsages", ".InheritedFlags.FlagUsagesWrapped "+cols,
	).Replace(root.UsageTemplate())
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		own := tmpl
		// Usage lines are printed after two spaces.
		if lines := wrapCommandLine(c.UseLine(), helpColumns-2, "    "); len(lines) > 1 {
			own = strings.Replace(tmpl, "{{.UseLine}}", strings.Join(lines, "\n  "), 1)
		}
		c.SetUsageTemplate(own)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// wrapCommandLine breaks a command line into lines of at most width
// columns where it can, each after the first starting with indent: at
// spaces outside brackets and parentheses first, so that "[--topology
// NAME]" stays whole, else at any space. A word longer than width stays
// whole on its own line.
func wrapCommandLine(line string, width int, indent string) []string {
	var out []string
	for len([]rune(line)) > width {
		cut, anyCut, depth := -1, -1, 0
		for i, r := range line {
			if len([]rune(line[:i])) > width {
				break
			}
			switch r {
			case '[', '(':
				depth++
			case ']', ')':
				depth--
			case ' ':
				if depth == 0 {
					cut = i
				}
				anyCut = i
			}
		}
		if cut <= len(indent) {
			cut = anyCut
		}
		if cut <= len(indent) {
			break
		}
		out = append(out, line[:cut])
		line = indent + strings.TrimLeft(line[cut:], " ")
	}
	return append(out, line)
}
