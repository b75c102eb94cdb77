package main

import "github.com/spf13/cobra"

func newNodeCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "node",
		Short: "(not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notYet("carpvm node", "issue 3")
		},
	}
}
