package main

import "github.com/spf13/cobra"

func newWatchCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "watch",
		Short: "(not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return notYet("carpvm watch", "issue 3")
		},
	}
}
