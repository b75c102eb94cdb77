package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/workflow"
)

// labSwitchFlags say which vSwitch the lab's switch behaves as.
type labSwitchFlags struct {
	Facts    string
	Topology string
}

func (f *labSwitchFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.Facts, "facts", "", "make the switch behave as the vSwitch of this facts file (preflight --save-facts)")
	cmd.Flags().StringVar(&f.Topology, "topology", "", "make the switch behave as the vSwitch of this simulator topology, one of "+strings.Join(workflow.Topologies(), ", "))
	completeFlag(cmd, "topology", completeValues(workflow.Topologies))
}

// model is the switch model the flags name; nil for neither (every
// setting Accept, learning bridges).
func (f *labSwitchFlags) model(ctx context.Context, app *App) (*lab.SwitchModel, error) {
	switch {
	case f.Facts != "" && f.Topology != "":
		return nil, usageError("lab up: --facts and --topology both name a vSwitch; give one or the other")
	case f.Facts != "":
		m, err := workflow.SwitchModelFromFacts(f.Facts)
		if err != nil {
			return nil, usageError("lab up --facts: %v", err)
		}
		return m, nil
	case f.Topology != "":
		if !workflow.IsTopology(f.Topology) {
			return nil, usageError("lab up --topology %q: want one of %s", f.Topology, strings.Join(workflow.Topologies(), ", "))
		}
		progress := func(format string, args ...any) { fmt.Fprintf(app.IO.ErrOut, format+"\n", args...) }
		m, err := workflow.SwitchModelFromTopology(ctx, f.Topology, progress)
		if err != nil {
			return nil, fmt.Errorf("lab up --topology %s: %w", f.Topology, err)
		}
		return m, nil
	}
	return nil, nil
}

// writeLabSwitch prints the lab's vSwitch model and what it predicts.
func writeLabSwitch(b *strings.Builder, st lab.Status) {
	if st.Switch == nil {
		return
	}
	fmt.Fprintf(b, "  switch: the vSwitch of %s\n", st.Switch.Source)
	for _, n := range lab.Nets {
		if p, ok := st.Switch.Nets[n.Name]; ok {
			fmt.Fprintf(b, "  %-12s %s: %s\n", n.Name, p.Portgroup, p)
		}
	}
	for _, c := range st.Causes {
		fmt.Fprintf(b, "  expect: %s\n", c)
	}
}
