package main

import "github.com/spf13/cobra"

func newDrillCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "drill",
		Short: "(not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notYet("carpvm drill", "issue 5")
		},
	}
}
