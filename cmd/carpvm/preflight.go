package main

import "github.com/spf13/cobra"

func newPreflightCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "preflight",
		Short: "(not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notYet("carpvm preflight", "issue 2")
		},
	}
}
