package main

import "github.com/spf13/cobra"

func newSimCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "sim",
		Short: "(not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notYet("carpvm sim", "issue 2")
		},
	}
}
