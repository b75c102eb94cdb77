package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/workflow"
)

// addSaveFactsFlag registers preflight --save-facts.
func addSaveFactsFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "save-facts", "", "write the gathered facts to `FILE` as JSON, no secrets (with --fix: those gathered after applying), for carpvm lab up --facts FILE")
}

// saveFacts writes f, gathered under cfg, to path; nothing when path is
// empty or there are no facts.
func saveFacts(path string, cfg *config.Config, f *facts.Facts, notice func(string, ...any)) error {
	if path == "" || f == nil {
		return nil
	}
	if err := workflow.SaveFacts(path, cfg, f, time.Now()); err != nil {
		return withExit(exitUsage, err)
	}
	notice("facts saved to %s", path)
	return nil
}
