package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/workflow"
)

// gatherFunc connects to vSphere (or, when simTopology names one, to a
// simulator of that topology it starts itself), gathers the facts under
// cfg's router pair, and closes what it opened. Progress goes to progress(); errors that mean vSphere was
// unreachable or refused are returned as they come, preflightRun decides
// the exit code.
type gatherFunc func(ctx context.Context, cfg *config.Config, simTopology string, progress workflow.Progress) (*facts.Facts, error)

// preflightOptions are the dependencies and flag values of carpvm preflight.
type preflightOptions struct {
	IO IOStreams
	// LoadConfig loads the configuration; with sim and no --config, the
	// built-in simulator configuration.
	LoadConfig func(sim bool) (*config.Config, error)
	// LoadPairs, when set, loads every pair of the configuration (a
	// fleet); preflightRun then checks them all unless Pair names one.
	LoadPairs func(sim bool) ([]*config.Config, error)
	// Pair is --pair: the one pair of a fleet to check.
	Pair string
	// Gather is workflow.Gather in production; tests may hand in facts.
	Gather gatherFunc

	Sim bool
	// Topology is the simulated inventory --sim serves (sim.Topologies).
	Topology string
	// Inventory grows it (--inventory-hosts, --inventory-vms).
	Inventory workflow.Inventory
	// Checks, when given, narrow the report to these check IDs.
	Checks []string
	Output string
	Strict bool
	// SaveFacts, when set, is where the gathered facts are written
	// (preflight_facts.go).
	SaveFacts string
	// Fix makes preflightOrFix run --fix (preflight_fix.go) with
	// FixFlags instead of the checks alone.
	Fix      bool
	FixFlags fixFlags
}

// newPreflightCmd is carpvm preflight; runF (nil: preflightOrFix) gets
// its options.
func newPreflightCmd(app *App, runF func(context.Context, *preflightOptions) error) *cobra.Command {
	opts := &preflightOptions{Gather: workflow.Gather}
	if runF == nil {
		runF = func(ctx context.Context, o *preflightOptions) error { return preflightOrFix(ctx, app, o) }
	}
	cmd := &cobra.Command{
		Use:   "preflight [--sim [--topology NAME]] [--check ID,...] [-o table|json] [--strict] [--fix [--yes] [--backup FILE]]",
		Short: "Check that the vSphere network under the CARP pair lets CARP work",
		Long: `preflight reads the vSphere inventory under the router pair of carpvm.yaml,
read-only, and checks what CARP needs: the routers exist and are connected to
each network's portgroup on one L2 segment; the effective security policy
accepts promiscuous mode, MAC changes and forged transmits; a teamed vSwitch
does not reflect the routers' own adverts (Net.ReversePathFwdCheckPromisc);
the public network's vmac is set on both routers and used by no other VM; the
pair does not share one host, a standalone host, or one datastore.

Each finding names the object, what was expected, what is there and how to
fix it. A fleet (pairs: in carpvm.yaml, or --config naming a directory of
them) is checked pair by pair, at most 4 vCenter sessions at once and one
per vCenter, into one report with a section per pair (-o json: a list, each
entry naming its pair); --pair checks one pair, and --save-facts needs it
when there are several. --fix on a fleet fixes one pair at a time, each with
its own plan, confirmation, backup and re-check. The exit status is the
worst pair's. Exit status: 0 nothing failed, 1 a check failed (or warned, with
--strict), 2 usage or configuration error, 3 vSphere unreachable or refused.`,
		Example: `  carpvm preflight --sim
  carpvm preflight --sim --topology teamed --check security.promiscuous,host.reverse_path_promisc
  carpvm preflight --sim --inventory-hosts 100 --inventory-vms 2000
  carpvm preflight --config carpvm.yaml -o json
  carpvm preflight --config carpvm.yaml --save-facts facts.json
  carpvm preflight --sim --config docs/examples/fleet.yaml --check security.promiscuous
  carpvm preflight --config fleet.yaml --pair paris --fix
  carpvm preflight --config fleet.yaml --fix --yes
  GOVC_URL=https://vcenter.example/sdk GOVC_USERNAME=carpvm@vsphere.local GOVC_PASSWORD=... \
    carpvm preflight --config carpvm.yaml --strict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = app.IO
			opts.LoadConfig = app.LoadConfig
			opts.LoadPairs = app.LoadPairs
			opts.Pair = app.pair
			if cmd.Flags().Changed("topology") && !opts.Sim {
				return usageError("preflight --topology needs --sim")
			}
			if inventoryChanged(cmd) && !opts.Sim {
				return usageError("preflight --inventory-hosts and --inventory-vms need --sim")
			}
			if err := checkFixFlags(cmd, opts); err != nil {
				return err
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Sim, "sim", false, "check the embedded vSphere simulator (the typical user's topology) instead of a real vCenter")
	cmd.Flags().StringVar(&opts.Topology, "topology", "default", "with --sim: the simulated inventory, one of "+strings.Join(workflow.Topologies(), ", "))
	completeFlag(cmd, "topology", completeValues(workflow.Topologies))
	addInventoryFlags(cmd, &opts.Inventory, "with --sim: ")
	cmd.Flags().StringSliceVar(&opts.Checks, "check", nil, "report only these check IDs (repeat or comma-separate); the summary and exit status count only them")
	completeFlag(cmd, "check", completeList(checkIDs))
	outputFlag(cmd, &opts.Output)
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "exit 1 on warnings too")
	cmd.Flags().BoolVar(&opts.Fix, "fix", false, "plan the changes the failed checks need; apply them with --yes or on confirmation")
	addFixFlags(cmd, &opts.FixFlags)
	addSaveFactsFlag(cmd, &opts.SaveFacts)
	addPairFlag(cmd, app, "check (or fix) only this pair of a fleet (without it, every pair; --save-facts needs it when there are several)")
	cmd.AddCommand(newPreflightRollbackCmd(app, nil))
	return cmd
}

// preflightRun does the work of carpvm preflight; cobra only fills opts.
func preflightRun(ctx context.Context, opts *preflightOptions) error {
	if err := checkOutput("preflight", opts.Output); err != nil {
		return err
	}
	checks, err := parseChecks(opts.Checks)
	if err != nil {
		return err
	}
	simTopology, err := opts.simTopology()
	if err != nil {
		return err
	}
	cfg, pairs, err := opts.load()
	if err != nil {
		return err
	}
	if cfg == nil {
		return preflightFleetRun(ctx, opts, pairs, simTopology, checks)
	}
	f, err := opts.Gather(ctx, cfg, simTopology, opts.IO.progress)
	if err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	f.Target = workflow.PrintableTarget(f.Target, cfg, opts.Sim)
	if err := saveFacts(opts.SaveFacts, cfg, f, opts.IO.notice); err != nil {
		return err
	}

	rep := preflight.Run(cfg, f).Only(checks...)
	switch opts.Output {
	case "json":
		// The pair, as each object of a fleet's list names it.
		if err := writeDocument(opts.IO.Out, "preflight", preflightPairDocument{Pair: cfg.Pair.Name, Report: rep}); err != nil {
			return fmt.Errorf("preflight: write json: %w", err)
		}
	default:
		if err := writePreflightTable(opts.IO.Out, opts.IO.Terminal(), rep); err != nil {
			return fmt.Errorf("preflight: write table: %w", err)
		}
	}
	if rep.Failed(opts.Strict) {
		return silentExit(exitCheckFailed)
	}
	return nil
}

// load loads the pair to check, or every pair (cfg nil) of a fleet
// without --pair.
func (o *preflightOptions) load() (cfg *config.Config, pairs []*config.Config, err error) {
	return pairOrFleet(o.LoadConfig, o.LoadPairs, o.Sim, o.Pair)
}

// simTopology is the topology to simulate (grown as sim.Spec writes it),
// or "" for a real vCenter.
func (o *preflightOptions) simTopology() (string, error) {
	if !o.Sim {
		return "", nil
	}
	name := o.Topology
	if name == "" {
		name = "default"
	}
	if !workflow.IsTopology(name) {
		return "", usageError("preflight --topology %q: want one of %s", o.Topology, strings.Join(workflow.Topologies(), ", "))
	}
	if err := checkInventory(o.Inventory); err != nil {
		return "", err
	}
	return workflow.TopologySpec(name, o.Inventory), nil
}

// parseChecks turns --check values into check IDs.
func parseChecks(ids []string) ([]preflight.Check, error) {
	var checks []preflight.Check
	for _, id := range ids {
		c, err := preflight.ParseCheck(strings.TrimSpace(id))
		if err != nil {
			return nil, usageError("preflight --check: %v", err)
		}
		checks = append(checks, c)
	}
	return checks, nil
}
