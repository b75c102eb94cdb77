package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// helpColumns is the width --help fits its flag lists into, whatever the
// terminal: pflag's own lists put each usage on one line, however long.
const helpColumns = 100

// fitHelp makes every command under root wrap its flags' usage text at
// helpColumns (cobra's usage template, with pflag's FlagUsagesWrapped).
func fitHelp(root *cobra.Command) {
	cols := strconv.Itoa(helpColumns)
	root.SetUsageTemplate(strings.NewReplacer(
		".LocalFlags.FlagUsages", ".LocalFlags.FlagUsagesWrapped "+cols,
		".InheritedFlags.FlagUsages", ".InheritedFlags.FlagUsagesWrapped "+cols,
	).Replace(root.UsageTemplate()))
}
