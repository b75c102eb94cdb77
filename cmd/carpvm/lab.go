package main

import "github.com/spf13/cobra"

func newLabCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "lab",
		Short: "(not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notYet("carpvm lab", "issue 5")
		},
	}
}
