package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/table"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/config"
)

func newNodeCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run carpvm's embedded CARP node, or ask a running one",
		Long: `node runs CARP groups on Linux, wire-compatible with FreeBSD/OpenBSD CARP and
ucarp (node run), and talks to a running node over its control socket
(node status, node demote, node promote).`,
	}
	cmd.AddCommand(newNodeRunCmd(app), newNodeStatusCmd(app),
		newNodeDemoteCmd(app, node.CmdDemote), newNodeDemoteCmd(app, node.CmdPromote))
	return cmd
}

// nodeRunOptions are the flags of carpvm node run.
type nodeRunOptions struct {
	Interface     string
	VHID          int
	VIPs          []string
	PassFile      string
	AdvBase       int
	AdvSkew       int
	Preempt       bool
	NoVMAC        bool
	NoVIPs        bool
	UpScript      string
	DownScript    string
	XParam        string
	ControlSocket string
	MetricsListen string
}

func newNodeRunCmd(app *App) *cobra.Command {
	opts := &nodeRunOptions{}
	cmd := &cobra.Command{
		Use:   "run (--config node.yaml | --interface IF --vhid N --vip CIDR... --pass-file F)",
		Short: "Run CARP groups until SIGTERM or SIGINT (then bow out and release the VIPs)",
		Long: `node run runs one CARP group from flags, or several from --config node.yaml
(format: go doc github.com/carpvm/carpvm/carp/node). The passphrase comes from
--pass-file (first line) or $CARPVM_NODE_PASS, never from the command line.

While MASTER, the VIPs live on a macvlan interface carp<vhid>-<parent> whose MAC
is the virtual MAC 00:00:5e:00:01:<vhid> (--no-vmac: on the interface itself).
On SIGTERM or SIGINT a MASTER bows out so that the backup takes over at once,
and releases its VIPs.`,
		Example: `  carpvm node run --interface ens192 --vhid 1 --vip 172.27.27.14/28 \
      --pass-file /etc/carpvm/intranought.pass --advskew 0 --preempt
  carpvm node run --config /etc/carpvm/node.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := opts.config(app, cmd)
			if err != nil {
				return err
			}
			return nodeRun(cmd.Context(), app, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Interface, "interface", "", "interface the group runs on")
	f.IntVar(&opts.VHID, "vhid", 0, "virtual host id, 1..255")
	f.StringArrayVar(&opts.VIPs, "vip", nil, "virtual IPv4 or IPv6 address in CIDR form (repeatable)")
	f.StringVar(&opts.PassFile, "pass-file", "", "file whose first line is the passphrase (else $CARPVM_NODE_PASS)")
	f.IntVar(&opts.AdvBase, "advbase", node.DefaultAdvBase, "advertisement base interval in seconds, 1..255 (0: sub-second, labs only)")
	f.IntVar(&opts.AdvSkew, "advskew", 0, "advertisement skew 0..254; the lowest is preferred as master")
	f.BoolVar(&opts.Preempt, "preempt", false, "take over from a master that advertises less often")
	f.BoolVar(&opts.NoVMAC, "no-vmac", false, "put the VIPs on the interface itself instead of a virtual-MAC macvlan (ucarp's way)")
	f.BoolVar(&opts.NoVIPs, "no-vips", false, "do not configure the VIPs; leave them to --up-script/--down-script")
	f.StringVar(&opts.UpScript, "up-script", "", "run on becoming MASTER as: SCRIPT INTERFACE VIP [XPARAM] (once per VIP)")
	f.StringVar(&opts.DownScript, "down-script", "", "run on leaving MASTER, with the same arguments")
	f.StringVar(&opts.XParam, "xparam", "", "extra parameter passed to the scripts")
	f.StringVar(&opts.ControlSocket, "control-socket", node.DefaultControlSocket, `Unix socket for node status/demote/promote ("" disables)`)
	f.StringVar(&opts.MetricsListen, "metrics-listen", "", "serve Prometheus metrics on ADDR (e.g. 127.0.0.1:9380) at /metrics")
	return cmd
}

// config builds the node configuration from --config node.yaml or from
// the flags; flags given next to --config override its top-level settings.
func (o *nodeRunOptions) config(app *App, cmd *cobra.Command) (*node.Config, error) {
	if app.configFile != "" {
		for _, name := range []string{"interface", "vhid", "vip", "pass-file", "advbase", "advskew", "preempt", "no-vmac", "no-vips", "up-script", "down-script", "xparam"} {
			if cmd.Flags().Changed(name) {
				return nil, usageError("node run: --%s and --config node.yaml are exclusive; put it in the file", name)
			}
		}
		cfg, err := node.LoadConfig(app.configFile, app.Getenv)
		if err != nil {
			return nil, err
		}
		if cmd.Flags().Changed("control-socket") {
			cfg.ControlSocket = o.ControlSocket
		}
		if cmd.Flags().Changed("metrics-listen") {
			cfg.MetricsListen = o.MetricsListen
		}
		return cfg, nil
	}
	if o.Interface == "" || o.VHID == 0 || len(o.VIPs) == 0 {
		return nil, usageError("node run: want --config node.yaml, or --interface, --vhid and at least one --vip")
	}
	if o.VHID < 1 || o.VHID > 255 {
		return nil, &config.Error{Key: "--vhid", Msg: fmt.Sprintf("%d is out of range; want 1..255", o.VHID)}
	}
	if o.AdvBase < 0 || o.AdvBase > 255 {
		return nil, &config.Error{Key: "--advbase", Msg: fmt.Sprintf("%d is out of range; want seconds in 1..255 (0: sub-second, labs only)", o.AdvBase)}
	}
	if o.AdvSkew < 0 || o.AdvSkew > carp.MaxAdvSkew {
		return nil, &config.Error{Key: "--advskew", Msg: fmt.Sprintf("%d is out of range; want 0..%d", o.AdvSkew, carp.MaxAdvSkew)}
	}
	g := node.Group{
		Interface: o.Interface, VHID: uint8(o.VHID), AdvBase: uint8(o.AdvBase), AdvSkew: uint8(o.AdvSkew),
		Preempt: o.Preempt, VMAC: !o.NoVMAC, ManageVIPs: !o.NoVIPs,
		UpScript: o.UpScript, DownScript: o.DownScript, XParam: o.XParam,
	}
	for i, s := range o.VIPs {
		p, err := node.ParseVIP(s)
		if err != nil {
			return nil, &config.Error{Key: fmt.Sprintf("--vip[%d]", i), Msg: err.Error()}
		}
		g.VIPs = append(g.VIPs, p)
	}
	key, err := node.ReadKey(o.PassFile, app.Getenv)
	if err != nil {
		return nil, &config.Error{Key: "--pass-file", Msg: err.Error()}
	}
	g.Key = key
	cfg := &node.Config{Groups: []node.Group{g}, ControlSocket: o.ControlSocket, MetricsListen: o.MetricsListen}
	return cfg, cfg.Validate()
}

// nodeRun runs the node, its control socket and its metrics until ctx
// ends or one of them fails.
func nodeRun(ctx context.Context, app *App, cfg *node.Config) error {
	log := app.Logger()
	n, err := node.New(node.Options{Groups: cfg.Groups, Log: log})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	services := 0
	if cfg.ControlSocket != "" {
		services++
		go func() { errs <- node.ServeControl(ctx, cfg.ControlSocket, n, log) }()
	}
	if cfg.MetricsListen != "" {
		services++
		go func() { errs <- node.ServeMetrics(ctx, cfg.MetricsListen, n, log, nil) }()
	}
	runErr := make(chan error, 1)
	go func() { runErr <- n.Run(ctx) }()
	for _, g := range cfg.Groups {
		log.Info("node started", "vhid", g.VHID, "iface", g.Interface, "vips", fmt.Sprint(g.VIPs),
			"advbase", g.AdvBase, "advskew", g.AdvSkew, "preempt", g.Preempt, "vmac", g.VMAC && g.ManageVIPs)
	}
	var first error
	select {
	case err := <-runErr:
		cancel()
		for range services {
			<-errs
		}
		return err
	case first = <-errs:
		services--
	}
	// A service failed (e.g. the control socket is taken): stop the node
	// cleanly (bow-out, VIPs released) and report the failure.
	cancel()
	if err := <-runErr; err != nil {
		first = errors.Join(first, err)
	}
	for range services {
		<-errs
	}
	if first == nil {
		return nil
	}
	return first
}

// nodeStatusOptions are the flags of carpvm node status.
type nodeStatusOptions struct {
	ControlSocket string
	Output        string
}

func newNodeStatusCmd(app *App) *cobra.Command {
	opts := &nodeStatusOptions{}
	cmd := &cobra.Command{
		Use: "status [--control-socket P] [-o table|json]",
		Example: `  carpvm node status
  carpvm node status --control-socket /run/carpvm/node.sock -o json`,
		Short: "Show a running node's groups: state, master seen, counters, last transition",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Output != "table" && opts.Output != "json" {
				return usageError("node status: -o %q: want table or json", opts.Output)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			resp, err := node.Call(ctx, opts.ControlSocket, node.Request{Command: node.CmdStatus})
			if err != nil {
				return err
			}
			return printNodeStatus(app.IO.Out, app.IO.OutTTY, opts.Output, resp.Status)
		},
	}
	cmd.Flags().StringVar(&opts.ControlSocket, "control-socket", node.DefaultControlSocket, "the node's control socket")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

func newNodeDemoteCmd(app *App, command string) *cobra.Command {
	var sock, output string
	var vhid, demotion int
	short := "Demote a group: a MASTER bows out and a backup takes over at once"
	if command == node.CmdPromote {
		short = "Clear a group's demotion (a preempting node then takes the master role back)"
	}
	cmd := &cobra.Command{
		Use:     command + " [--vhid N] [--control-socket P]",
		Short:   short,
		Example: "  carpvm node " + command + " --vhid 1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if vhid < 0 || vhid > 255 {
				return usageError("node %s: --vhid %d: want 1..255 (0: every group)", command, vhid)
			}
			if demotion < 0 || demotion > carp.MaxDemotedSkew {
				return usageError("node %s: --demotion %d: want 0..%d", command, demotion, carp.MaxDemotedSkew)
			}
			if output != "table" && output != "json" {
				return usageError("node %s: -o %q: want table or json", command, output)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			resp, err := node.Call(ctx, sock, node.Request{Command: command, VHID: uint8(vhid), Demotion: uint8(demotion)})
			if err != nil {
				return err
			}
			return printNodeStatus(app.IO.Out, app.IO.OutTTY, output, resp.Status)
		},
	}
	cmd.Flags().StringVar(&sock, "control-socket", node.DefaultControlSocket, "the node's control socket")
	cmd.Flags().IntVar(&vhid, "vhid", 0, "the group (0: every group on the node)")
	if command == node.CmdDemote {
		cmd.Flags().IntVar(&demotion, "demotion", 0, fmt.Sprintf("demotion added to advskew (default %d: bow out)", carp.MaxDemotedSkew))
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func printNodeStatus(w io.Writer, tty bool, format string, st *node.Status) error {
	if st == nil {
		return errors.New("node: empty status from the control socket")
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	header := []string{"VHID", "IFACE", "STATE", "MASTER", "VIPS", "ADVBASE", "ADVSKEW", "DEMOTION", "SENT", "RECEIVED", "REJECTED", "LAST TRANSITION"}
	var rows [][]string
	for _, g := range st.Groups {
		rows = append(rows, []string{
			strconv.Itoa(int(g.VHID)), g.Interface, g.State.String(), addrOrDash(g.MasterSeen), dash(prefixes(g.VIPs)),
			strconv.Itoa(int(g.AdvBase)), strconv.Itoa(int(g.AdvSkew)), strconv.Itoa(int(g.Demotion)),
			strconv.FormatUint(g.Sent, 10), strconv.FormatUint(g.Received, 10), rejectSummary(g.Rejected),
			transitionSummary(g.LastTransition),
		})
	}
	return table.Write(w, tty, header, rows)
}

func addrOrDash(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}

func prefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func rejectSummary(c carp.RejectCounts) string {
	if c.Total() == 0 {
		return "0"
	}
	var parts []string
	for _, r := range carp.Rejects() {
		if v := c.Of(r); v > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", r, v))
		}
	}
	return strings.Join(parts, " ")
}

func transitionSummary(t carp.TransitionRecord) string {
	if t.At.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%s %s->%s (%s)", t.At.UTC().Format(time.RFC3339), t.From, t.To, t.Reason)
}
