package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set at build time:
// -ldflags "-X main.version=v0.1.0 -X main.commit=abc123".
var (
	version = "dev"
	commit  = ""
)

func newVersionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Example: `  carpvm version`,
		Short:   "Print carpvm's version and commit",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := commit
			if c == "" {
				if info, ok := debug.ReadBuildInfo(); ok {
					for _, s := range info.Settings {
						if s.Key == "vcs.revision" {
							c = s.Value
						}
					}
				}
			}
			if c == "" {
				c = "unknown"
			}
			fmt.Fprintf(app.IO.Out, "carpvm %s (commit %s)\n", version, c)
			return nil
		},
	}
}
