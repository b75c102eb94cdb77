package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/internal/statepaths"
)

// labOptions are the flags every lab subcommand shares.
type labOptions struct {
	Prefix   string
	StateDir string
}

func (o labOptions) opts() lab.Options {
	return lab.Options{Prefix: o.Prefix, StateDir: o.StateDir}
}

func newLabCmd(app *App) *cobra.Command { return newLabCmdWith(app, labRuns{}) }

// labRuns are the runF of lab's subcommands (nil: their own work).
type labRuns struct {
	up     func(context.Context, *labUpOptions) error
	down   func(context.Context, *labOptions) error
	status func(context.Context, *labStatusOptions) error
}

// newLabCmdWith is carpvm lab, its subcommands built with runs.
func newLabCmdWith(app *App, runs labRuns) *cobra.Command {
	lo := &labOptions{}
	cmd := &cobra.Command{
		Use: "lab",
		Example: `  carpvm lab up
  carpvm lab status
  carpvm lab down`,
		Short: "Build the typical CARP pair in network namespaces, for drills on one machine",
		Long: `lab builds the typical user's topology with Linux network namespaces: a switch
namespace with bridges IntraNought and Public, router-002 and router-003 with a
leg on each running carpvm nodes (vhid 1, VIP 172.27.27.14/28 on IntraNought;
vhid 2, VIP 203.0.113.10/24 on Public; router-003 advskew 100; preempt on), or
ucarp (--peer ucarp) or keepalived (--peer keepalived) on router-003, and a
client namespace. Every namespace
name starts with --prefix and carries the lab's mark (an alias on its
loopback); lab up and lab down delete only marked namespaces and refuse one
named like the lab's that they did not make. Healthy (lab status, a drill's
gate) means every process running, exactly one master per group and no
partition left in place. lab up and lab down are refused while a drill runs
on the lab (they take its lock). Needs root.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError("lab: want a subcommand: up, down or status")
		},
	}
	cmd.PersistentFlags().StringVar(&lo.Prefix, "prefix", lab.DefaultPrefix, "prefix of the lab's namespace names")
	cmd.PersistentFlags().StringVar(&lo.StateDir, "state-dir", lab.DefaultStateDir, "directory for the lab's state, pass files, logs and control sockets")
	cmd.AddCommand(newLabUpCmd(app, lo, runs.up), newLabDownCmd(app, lo, runs.down), newLabStatusCmd(app, lo, runs.status))
	return cmd
}

// labUpOptions are the flags of carpvm lab up (with lab's own, Lab).
type labUpOptions struct {
	Lab          *labOptions
	Peer         string
	Mode         string
	AdvBase      int
	ActiveActive bool
	Output       string
	Switch       labSwitchFlags
}

// newLabUpCmd is carpvm lab up; runF (nil: labUpRun) gets its options.
func newLabUpCmd(app *App, lo *labOptions, runF func(context.Context, *labUpOptions) error) *cobra.Command {
	uo := &labUpOptions{Lab: lo}
	if runF == nil {
		runF = func(ctx context.Context, o *labUpOptions) error { return labUpRun(ctx, app, o) }
	}
	cmd := &cobra.Command{
		Use: "up [--facts FILE | --topology NAME] [--peer carpvm|ucarp|keepalived] [--mode multicast|unicast] [--advbase N] [--active-active]",
		Example: `  carpvm lab up
  carpvm lab up --advbase 0
  carpvm lab up --peer ucarp --advbase 1
  carpvm lab up --peer keepalived
  carpvm lab up --mode unicast
  carpvm lab up --active-active --advbase 0
  carpvm lab up --facts facts.json --advbase 0
  carpvm lab up --topology teamed
  carpvm lab up -o json`,
		Short: "Build the lab and start its routers (idempotent)",
		Long: `up builds the lab and starts its routers; run again with the same flags it
finds the lab up and changes nothing, with other flags it rebuilds it.

--advbase 0 is OpenBSD's sub-second mode, for fast drills: a router advertises
every advskew/256 s (router-002: 1/256 s) and a backup takes over after
3 x advskew/256 s (router-003, advskew 100: 1.17 s instead of 3.39 s at
advbase 1). Only the carpvm peer has it: ucarp takes whole seconds.

--peer keepalived runs Debian's keepalived on router-003 and makes both
routers speak VRRPv3 (RFC 9568, no authentication): router-002's node with
carpver 3, each router at priority 254 less its advskew (254 and 154),
interval advbase x 100 cs (--advbase 1..40). keepalived holds the VIPs on its
legs, answering from its NICs' MACs; its notify script records each group's
state for lab status. The demote drill acts on router-002: keepalived has no
run-time demotion.

--mode unicast makes the lab's switch drop multicast, as an IGMP-snooping
switch or an NSX segment drops 224.0.0.18 (no bridge port floods it), and
each router advertise to the other's address on the network (node.yaml
peer; keepalived's unicast_peer). The client's port gets a copy of the
adverts, as a witness on a promiscuous port would (with --facts or
--topology, only those the model's port accepts). ucarp has no unicast
mode: --mode unicast --peer ucarp is refused.

--active-active splits the groups between the routers: each network gets a
second group that router-003 prefers (vhid 3, VIP 172.27.27.10/28 on
IntraNought; vhid 4, VIP 203.0.113.20/24 on Public), so that both routers
carry traffic; drills then check the whole ownership map.

--facts FILE (written by preflight --save-facts) or --topology NAME (a
simulator topology) makes the lab's switch behave as that vSwitch: each
network takes its portgroup's effective security policy (promiscuous mode,
MAC address changes, forged transmits), the reflection of teamed uplinks,
the public network's shared MAC and a distributed switch's MAC learning
(docs/vswitch-model.md); a drill that then fails says why in vSwitch terms
and names the preflight check that predicted it. Without either, every
setting is Accept and the bridges learn, as before. Needs tc.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), uo)
		},
	}
	cmd.Flags().StringVar(&uo.Peer, "peer", lab.PeerCarpvm, "what runs on router-003: "+strings.Join(lab.Peers(), ", ")+" (keepalived: both routers speak VRRPv3)")
	completeFlag(cmd, "peer", completeValues(lab.Peers))
	cmd.Flags().StringVar(&uo.Mode, "mode", lab.ModeMulticast, "how the routers advertise: multicast, or unicast to each other on a switch that drops multicast")
	completeFlag(cmd, "mode", completeValues(lab.Modes))
	cmd.Flags().IntVar(&uo.AdvBase, "advbase", lab.DefaultAdvBase, "CARP advbase of both routers, seconds, 0..255 (0: sub-second, carpvm peer only; keepalived 1..40)")
	cmd.Flags().BoolVar(&uo.ActiveActive, "active-active", false, "a second group per network, preferred by router-003: both routers carry traffic")
	outputFlag(cmd, &uo.Output)
	uo.Switch.register(cmd)
	return cmd
}

// labUpRun builds the lab (lab.Up) under its lock and prints its status.
func labUpRun(ctx context.Context, app *App, o *labUpOptions) error {
	if err := checkOutput("lab up", o.Output); err != nil {
		return err
	}
	if !slices.Contains(lab.Peers(), o.Peer) {
		return usageError("lab up: --peer %q: want one of %s", o.Peer, strings.Join(lab.Peers(), ", "))
	}
	if err := lab.CheckMode(o.Peer, o.Mode); err != nil {
		return usageError("lab up: --mode %q: %v", o.Mode, err)
	}
	if err := lab.CheckAdvBase(o.Peer, o.AdvBase); err != nil {
		return usageError("lab up: --advbase %d: %v", o.AdvBase, err)
	}
	lo := o.Lab.opts()
	lo.Peer, lo.Mode, lo.AdvBase, lo.ActiveActive = o.Peer, o.Mode, lab.AdvBase(o.AdvBase), o.ActiveActive
	var err error
	if lo.Switch, err = o.Switch.model(ctx, app); err != nil {
		return err
	}
	lock, err := lockLab(app, lo.Prefix)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	l, already, err := lab.Up(ctx, lo, app.Logger())
	if err != nil {
		return err
	}
	if already {
		fmt.Fprintf(app.IO.ErrOut, "lab %s is already up\n", lo.Prefix)
	}
	return printLabStatus(app.IO.Out, o.Output, l.Status(ctx))
}

// newLabDownCmd is carpvm lab down; runF (nil: labDownRun) gets the
// lab's options.
func newLabDownCmd(app *App, lo *labOptions, runF func(context.Context, *labOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, lo *labOptions) error { return labDownRun(ctx, app, lo) }
	}
	return &cobra.Command{
		Use:     "down",
		Example: `  carpvm lab down`,
		Short:   "Stop the lab's routers and remove its namespaces",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), lo)
		},
	}
}

// labDownRun stops the lab (lab.Down) under its lock.
func labDownRun(ctx context.Context, app *App, lo *labOptions) error {
	lock, err := lockLab(app, lo.Prefix)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if err := lab.Down(ctx, lo.opts(), app.Logger()); err != nil {
		return err
	}
	fmt.Fprintf(app.IO.ErrOut, "lab %s is down\n", lo.Prefix)
	return nil
}

// labStatusOptions are the flags of carpvm lab status (with lab's own,
// Lab).
type labStatusOptions struct {
	Lab     *labOptions
	Output  string
	History string
}

// newLabStatusCmd is carpvm lab status; runF (nil: labStatusRun) gets its
// options.
func newLabStatusCmd(app *App, lo *labOptions, runF func(context.Context, *labStatusOptions) error) *cobra.Command {
	o := &labStatusOptions{Lab: lo}
	if runF == nil {
		runF = func(ctx context.Context, o *labStatusOptions) error { return labStatusRun(ctx, app, o) }
	}
	cmd := &cobra.Command{
		Use:     "status [-o table|json] [--history DIR]",
		Example: `  carpvm lab status`,
		Short:   "Show the lab's namespaces, processes and masters (exit 1 when unhealthy)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), o)
		},
	}
	outputFlag(cmd, &o.Output)
	cmd.Flags().StringVar(&o.History, "history", "", "the drills' history directory, where a drill cut short leaves its journal (default $XDG_STATE_HOME/carpvm/drills or ~/.local/state/carpvm/drills)")
	return cmd
}

// labStatusRun prints the lab's status; exit 1 when it is unhealthy.
func labStatusRun(ctx context.Context, app *App, o *labStatusOptions) error {
	if err := checkOutput("lab status", o.Output); err != nil {
		return err
	}
	l, err := lab.Open(o.Lab.opts(), app.Logger())
	if err != nil {
		return err
	}
	st := l.Status(ctx)
	historyDir := o.History
	if historyDir == "" {
		if historyDir, err = statepaths.DrillHistory(app.Getenv); err != nil {
			return withExit(exitUsage, err)
		}
	}
	st.NoteJournal(historyDir)
	if err := printLabStatus(app.IO.Out, o.Output, st); err != nil {
		return err
	}
	if st.Err() != nil {
		return silentExit(exitCheckFailed)
	}
	return nil
}

// lockLab takes the lock a drill of the lab holds (drill --lab), so that
// lab up and lab down never rebuild or remove a lab under a running drill.
func lockLab(app *App, prefix string) (*failover.Lock, error) {
	dir, err := statepaths.DrillLocks(app.Getenv, os.Geteuid() == 0)
	if err != nil {
		return nil, withExit(exitUsage, err)
	}
	l, err := failover.TryLock(dir, lab.PairName(prefix))
	if err != nil {
		return nil, withExit(exitCheckFailed, fmt.Errorf("lab: a drill runs on it: %w", err))
	}
	return l, nil
}

// printLabStatus prints the lab's status as lab up and lab status do: a
// table, or the "lab-status" document.
func printLabStatus(w io.Writer, output string, st lab.Status) error {
	if output == "json" {
		return writeDocument(w, "lab-status", st)
	}
	return writeLabStatus(w, st)
}

func writeLabStatus(w io.Writer, st lab.Status) error {
	var b strings.Builder
	fmt.Fprintf(&b, "lab %s (state %s), router-003 runs %s, advbase %d", st.Prefix, st.StateDir, st.Peer, st.AdvBase)
	if st.Mode == lab.ModeUnicast {
		b.WriteString(", unicast adverts (the switch drops multicast)")
	}
	b.WriteString("\n")
	writeLabSwitch(&b, st)
	for _, n := range st.Networks {
		routers := make([]string, 0, len(n.States))
		for r := range n.States {
			routers = append(routers, r)
		}
		sort.Strings(routers)
		var states []string
		for _, r := range routers {
			states = append(states, r+"="+n.States[r])
		}
		master := n.Master
		if master == "" {
			master = "-"
		}
		fmt.Fprintf(&b, "  %-12s vhid %d  VIP %-16s master %-12s %s\n", n.Name, n.VHID, n.VIP, master, strings.Join(states, " "))
		if n.Master != "" && n.Master != n.Preferred {
			fmt.Fprintf(&b, "  %-12s   (preferred master: %s)\n", "", n.Preferred)
		}
	}
	for i, p := range st.Procs {
		state := "running"
		if i < len(st.Running) && !st.Running[i] {
			state = "NOT RUNNING"
		}
		what := p.Kind
		if p.Net != "" {
			what += " (" + p.Net + ")"
		}
		fmt.Fprintf(&b, "  %-12s %-20s pid %-8s %s\n", p.Router, what, strconv.Itoa(p.Pid), state)
	}
	if err := st.Err(); err != nil {
		fmt.Fprintf(&b, "unhealthy: %v\n%s\n", err, st.Remedy())
	} else {
		b.WriteString("healthy\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
