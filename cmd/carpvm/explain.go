package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/workflow"
)

// explainOptions are the dependencies and flag values of carpvm explain.
type explainOptions struct {
	IO         IOStreams
	LoadConfig func(sim bool) (*config.Config, error)
	// Explain is workflow.Explain in production.
	Explain     func(ctx context.Context, cfg *config.Config, topology string, ts []transition.Transition, window time.Duration, progress workflow.Progress) (explain.Report, error)
	Transitions []string
	Window      time.Duration
	Output      string
	Sim         bool
	Topology    string
}

// newExplainCmd is carpvm explain; runF (nil: explainRun) gets its options.
func newExplainCmd(app *App, runF func(context.Context, *explainOptions) error) *cobra.Command {
	opts := &explainOptions{Explain: workflow.Explain}
	if runF == nil {
		runF = explainRun
	}
	cmd := &cobra.Command{
		Use:   "explain --transitions FILE [--transitions FILE...] [--pair NAME] [--window 2m] [-o table|json|markdown] [--sim [--topology NAME]]",
		Short: "Explain each CARP failover by what vSphere did at that moment",
		Long: `explain reads CARP transitions (carpvm.transition/v1 lines, as carpvm node
--transition-log, carpvm watch --transitions and the devd and keepalived
scripts of docs/deploy/transition/ write them; - for stdin), asks
vCenter once for the events and tasks of the pair's VMs, their hosts and the
networks' portgroups from the first transition less --window to the last plus
it, and prints each transition with its likely causes, nearest first:
vmotion, snapshot (a stun), power, ha-restart, nic, host, policy, or none
("no vCenter event within 2m"), and advice from the measured facts (a stun
against master-down: the advbase that would outlast it).

Exit status: 0 every transition has a cause or was planned (a drill's own),
1 some have none, 2 bad input (a malformed line names its file and line; the
rest is still read and explained), 3 vSphere unreachable or refused.`,
		Example: `  carpvm explain --config carpvm.yaml --transitions /var/log/carpvm/transitions.jsonl
  carpvm explain --config carpvm.yaml --transitions router-002.jsonl \
      --transitions router-003.jsonl --window 5m -o json
  ssh router-002 cat /var/log/carpvm/transitions.jsonl | \
      carpvm explain --config carpvm.yaml --transitions -
  carpvm explain --sim --topology cluster --transitions docs/examples/transitions.jsonl -o markdown`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = app.IO
			opts.LoadConfig = app.LoadConfig
			switch {
			case cmd.Flags().Changed("topology") && !opts.Sim:
				return usageError("explain --topology needs --sim")
			case opts.Output != "table" && opts.Output != "json" && opts.Output != "markdown":
				return usageError("explain: -o %q: want table, json or markdown", opts.Output)
			case len(opts.Transitions) == 0:
				return usageError("explain: no --transitions FILE given (- reads stdin)")
			case opts.Window <= 0:
				return usageError("explain --window %s: want a positive duration, e.g. 2m", opts.Window)
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Transitions, "transitions", nil, "a file of transition lines (repeat for several; - for stdin)")
	cmd.Flags().DurationVar(&opts.Window, "window", explain.DefaultWindow, "how far from a transition vCenter's events count as its causes")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table, json or markdown")
	completeFlag(cmd, "output", completeValues(func() []string { return explainFormats }))
	cmd.Flags().BoolVar(&opts.Sim, "sim", false, "ask the embedded vSphere simulator instead of a real vCenter")
	cmd.Flags().StringVar(&opts.Topology, "topology", "default", "with --sim: the simulated inventory, one of "+strings.Join(workflow.Topologies(), ", "))
	completeFlag(cmd, "topology", completeValues(workflow.Topologies))
	addPairFlag(cmd, app, "explain the transitions of this pair of a fleet")
	return cmd
}

var explainFormats = []string{"table", "json", "markdown"}

// explainRun does the work of carpvm explain; cobra only fills opts.
func explainRun(ctx context.Context, opts *explainOptions) error {
	topology := ""
	if opts.Sim {
		topology = opts.Topology
		if topology == "" {
			topology = "default"
		}
	}
	cfg, err := opts.LoadConfig(opts.Sim)
	if err != nil {
		return err
	}
	ts, bad, err := readTransitions(opts.IO.In, opts.Transitions)
	if err != nil {
		return withExit(exitUsage, err)
	}
	for _, e := range bad {
		fmt.Fprintln(opts.IO.ErrOut, "carpvm: explain: "+e.Error())
	}
	rep, err := opts.Explain(ctx, cfg, topology, ts, opts.Window, opts.IO.progress)
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	if err := printExplain(opts.IO, opts.Output, rep); err != nil {
		return fmt.Errorf("explain: write %s: %w", opts.Output, err)
	}
	switch {
	case len(bad) > 0:
		return silentExit(exitUsage)
	case rep.Unexplained() > 0:
		return silentExit(exitCheckFailed)
	}
	return nil
}

// readTransitions reads every file ("-" is in); bad holds the malformed
// lines, each naming its file and line. A file that cannot be opened is an
// error.
func readTransitions(in io.Reader, files []string) (ts []transition.Transition, bad []error, err error) {
	for _, name := range files {
		r := in
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return nil, nil, fmt.Errorf("explain --transitions: %w", err)
			}
			defer f.Close()
			r = f
		}
		got, errs, err := transition.Read(r, name)
		if err != nil {
			return nil, nil, fmt.Errorf("explain --transitions: %w", err)
		}
		ts, bad = append(ts, got...), append(bad, errs...)
	}
	return ts, bad, nil
}

func printExplain(s IOStreams, output string, rep explain.Report) error {
	switch output {
	case "json":
		return writeDocument(s.Out, "explain", rep)
	case "markdown":
		return writeExplainMarkdown(s.Out, rep)
	}
	return table.Write(s.Out, s.Terminal(), table.Layout{Whole: []string{"TIME", "ROUTER", "NETWORK"}}, []string{"TIME", "ROUTER", "NETWORK", "VHID", "CHANGE", "VERDICT", "CAUSES"}, explainRows(rep))
}

// explainRows is one row per transition, then one per advice under it.
func explainRows(rep explain.Report) [][]string {
	var rows [][]string
	for _, x := range rep.Transitions {
		rows = append(rows, []string{x.Time.UTC().Format("2006-01-02T15:04:05.000Z"), x.Router, x.Network,
			fmt.Sprint(x.VHID), x.From + "->" + x.To, x.Verdict, explain.CausesText(x.Causes)})
		for _, a := range x.Advice {
			rows = append(rows, []string{"", "", "", "", "", "", "advice: " + a})
		}
	}
	return rows
}

func writeExplainMarkdown(w io.Writer, rep explain.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Why did CARP fail over? (pair %s, window %gs)\n\n", rep.Pair, rep.WindowS)
	for _, x := range rep.Transitions {
		fmt.Fprintf(&b, "## %s %s %s vhid %d: %s -> %s (%s)\n\n", x.Time.UTC().Format(time.RFC3339Nano), x.Router, x.Network, x.VHID, x.From, x.To, x.Verdict)
		b.WriteString("| kind | event | entity | offset | detail |\n|---|---|---|---|---|\n")
		for _, c := range x.Causes {
			fmt.Fprintf(&b, "| %s | %s | %s | %+.1f s | %s |\n", c.Kind, c.Event, c.Entity, c.OffsetS, strings.ReplaceAll(c.Detail, "|", `\|`))
		}
		b.WriteString("\n")
		for _, a := range x.Advice {
			fmt.Fprintf(&b, "- %s\n", a)
		}
		if len(x.Advice) > 0 {
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
