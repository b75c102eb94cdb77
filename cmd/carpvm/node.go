package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/table"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
(node status, node demote, node promote), and removes what a dead node left
(node cleanup).`,
	}
	cmd.AddCommand(newNodeRunCmd(app, nil), newNodeCleanupCmd(app, nil), newNodeStatusCmd(app, nil),
		newNodeDemoteCmd(app, node.CmdDemote, nil), newNodeDemoteCmd(app, node.CmdPromote, nil))
	return cmd
}

// nodeRunOptions are the flags of carpvm node run.
type nodeRunOptions struct {
	Interface    string
	VHID         int
	VIPs         []string
	PassFile     string
	AdvBase      int
	AdvSkew      int
	Preempt      bool
	NoVMAC       bool
	NoVIPs       bool
	UpScript     string
	DownScript   string
	XParam       string
	PreemptDelay time.Duration
	NoLinkTrack  bool
	Protocol     node.ProtocolSettings
	// groupFlags are the flags above, which --config excludes.
	groupFlags    *pflag.FlagSet
	ControlSocket string
	MetricsListen string
	RunDir        string
	StateDir      string
	// TransitionLog is --transition-log (node.yaml transition_log).
	TransitionLog string
	// ConfigFile is --config (node.yaml); GroupFlagsGiven the group flags
	// given beside it (refused), Overrides the top-level flags given
	// beside it (they win over the file's settings).
	ConfigFile      string
	GroupFlagsGiven []string
	Overrides       nodeRunOverrides
}

// nodeRunOverrides say which of node.yaml's top-level settings a flag
// overrides.
type nodeRunOverrides struct {
	ControlSocket, MetricsListen, TransitionLog bool
}

// newNodeRunCmd is carpvm node run; runF (nil: nodeRun) gets its options.
func newNodeRunCmd(app *App, runF func(context.Context, *nodeRunOptions) error) *cobra.Command {
	opts := &nodeRunOptions{}
	if runF == nil {
		runF = func(ctx context.Context, o *nodeRunOptions) error { return nodeRun(ctx, app, o) }
	}
	cmd := &cobra.Command{
		Use:   "run (--config node.yaml | --interface IF --vhid N --vip CIDR... --pass-file F)",
		Short: "Run CARP groups until SIGTERM or SIGINT (then bow out and release the VIPs)",
		Long: `node run runs one CARP group from flags, or several from --config node.yaml
(format: docs/commands.md, section "node.yaml", in carpvm's repository). The
passphrase comes from --pass-file (first line) or $CARPVM_NODE_PASS, never
from the command line.

While MASTER, the VIPs live on a macvlan interface carp<vhid>-<parent> whose MAC
is the virtual MAC 00:00:5e:00:01:<vhid> (--no-vmac: on the interface itself).
On SIGTERM or SIGINT a MASTER bows out so that the backup takes over at once,
and releases its VIPs.

Before it touches anything, the node locks its control socket (<socket>.lock)
and each group (the abstract unix socket @carpvm-node/<iface>/vhid<N>, one per
network namespace whatever --run-dir, --control-socket or mount namespace): a
second node started by mistake on the same vhid or socket is refused, naming
the pid of the running one, and changes nothing. Outside the host's network
namespace the default socket carries the namespace (node-netns<inode>.sock).
Each group's replay memory is kept in --state-dir (node-<iface>-vhid<N>.json)
so that a restarted node still rejects a dead master's replayed adverts.`,
		Example: `  carpvm node run --interface ens192 --vhid 1 --vip 172.27.27.14/28 \
      --pass-file /etc/carpvm/intranought.pass --advskew 0 --preempt
  carpvm node run --config /etc/carpvm/node.yaml
  carpvm node run --interface ens192 --vhid 1 --vip 172.27.27.14/28 --carpver 3 \
      --vrrpprio 200 --preempt
  carpvm node run --interface ens192 --vhid 1 --vip 172.27.27.14/28 \
      --pass-file /etc/carpvm/intranought.pass --peer 172.27.27.12 --preempt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ConfigFile = app.configFile
			opts.GroupFlagsGiven = nil
			opts.groupFlags.VisitAll(func(fl *pflag.Flag) {
				if cmd.Flags().Changed(fl.Name) {
					opts.GroupFlagsGiven = append(opts.GroupFlagsGiven, "--"+fl.Name)
				}
			})
			opts.Overrides = nodeRunOverrides{ControlSocket: cmd.Flags().Changed("control-socket"),
				MetricsListen: cmd.Flags().Changed("metrics-listen"), TransitionLog: cmd.Flags().Changed("transition-log")}
			return runF(cmd.Context(), opts)
		},
	}
	// The flags that describe a group are node.yaml's to give with
	// --config: one set, so the exclusion check cannot miss one.
	f := pflag.NewFlagSet("group", pflag.ContinueOnError)
	opts.groupFlags = f
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
	f.DurationVar(&opts.PreemptDelay, "preempt-delay", 0, "after start, do not preempt for this long (a rebooted router's services come up first)")
	f.BoolVar(&opts.NoLinkTrack, "no-link-tracking", false, "do not fail over as a whole router when the interface loses its link")
	carpverFlag(f, &opts.Protocol.CarpVer, "protocol: 2 CARP, 3 VRRPv3 (RFC 9568, as FreeBSD 15's carpver 3 and keepalived; no authentication, no --pass-file)")
	f.IntVar(&opts.Protocol.VRRPPrio, "vrrpprio", 0, "VRRPv3 priority 1..255, the highest is master (default 100)")
	f.IntVar(&opts.Protocol.VRRPInterval, "vrrpinterval", 0, "VRRPv3 advertisement interval in centiseconds, 1..4095 (default advbase*100)")
	f.BoolVar(&opts.Protocol.ChecksumAsV2, "vrrp-checksum-as-v2", false, "IPv4 VRRPv3 checksums without the pseudo-header, as some VRRPv3 routers send them")
	f.StringVar(&opts.Protocol.Peer, "peer", "", "unicast: send IPv4 adverts to this address (the other router's), from the interface's own MAC, and accept only its adverts")
	f.StringVar(&opts.Protocol.Peer6, "peer6", "", "unicast: the other router's IPv6 address, for IPv6 VIPs")
	cmd.Flags().AddFlagSet(f)
	f = cmd.Flags()
	controlSocketFlag(cmd, &opts.ControlSocket, `Unix socket for node status/demote/promote ("" disables)`)
	f.StringVar(&opts.MetricsListen, "metrics-listen", "", "serve Prometheus metrics on ADDR (e.g. 127.0.0.1:9380) at /metrics")
	runDirFlag(cmd, &opts.RunDir)
	f.StringVar(&opts.StateDir, "state-dir", node.DefaultStateDir, `directory of the groups' replay memory ("" keeps it in memory only)`)
	f.StringVar(&opts.TransitionLog, "transition-log", "", "append each state change to FILE as a carpvm.transition/v1 line, for carpvm explain (node.yaml transition_log)")
	return cmd
}

// controlSocketFlag and runDirFlag are the flags every node command
// shares to find a node.
func controlSocketFlag(cmd *cobra.Command, p *string, usage string) {
	cmd.Flags().StringVar(p, "control-socket", node.DefaultControlSocket,
		usage+"; the default is <run-dir>/node.sock, node-netns<inode>.sock outside the host's network namespace")
}

func runDirFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "run-dir", node.DefaultRunDir, "directory of the control socket's lock and the default control socket")
}

// nodePaths are the files of the nodes of this network namespace.
func nodePaths(runDir, stateDir string) node.Paths {
	return node.Paths{RunDir: runDir, StateDir: stateDir, Netns: node.NetnsTag()}
}

// nodeRun runs the node of o's configuration (node.Serve).
func nodeRun(ctx context.Context, app *App, o *nodeRunOptions) error {
	cfg, err := o.config(app.Getenv)
	if err != nil {
		return err
	}
	return node.Serve(ctx, cfg, node.ServeOptions{
		Paths: nodePaths(o.RunDir, o.StateDir), Log: app.Logger(), Build: node.BuildInfo(currentBuild()),
		Node: node.Options{DropImagePages: true},
	})
}

// config builds the node configuration from --config node.yaml or from
// the flags; flags given next to --config override its top-level settings.
func (o *nodeRunOptions) config(getenv config.Getenv) (*node.Config, error) {
	if o.ConfigFile != "" {
		if len(o.GroupFlagsGiven) > 0 {
			return nil, usageError("node run: %s and --config node.yaml are exclusive; put it in the file", strings.Join(o.GroupFlagsGiven, ", "))
		}
		cfg, err := node.LoadConfig(o.ConfigFile, getenv)
		if err != nil {
			return nil, err
		}
		if o.Overrides.ControlSocket {
			cfg.ControlSocket = o.ControlSocket
		}
		if o.Overrides.MetricsListen {
			cfg.MetricsListen = o.MetricsListen
		}
		if o.Overrides.TransitionLog {
			cfg.TransitionLog = o.TransitionLog
		}
		return cfg, nil
	}
	if o.Interface == "" || o.VHID == 0 || len(o.VIPs) == 0 {
		return nil, usageError("node run: want --config node.yaml, or --interface, --vhid and at least one --vip")
	}
	manageVIPs := !o.NoVIPs
	g, err := node.GroupSettings{
		Interface: o.Interface, VHID: &o.VHID, VIPs: o.VIPs, AdvBase: &o.AdvBase, AdvSkew: o.AdvSkew,
		Preempt: o.Preempt, PassFile: o.PassFile, NoVMAC: o.NoVMAC, ManageVIPs: &manageVIPs,
		UpScript: o.UpScript, DownScript: o.DownScript, XParam: o.XParam, Protocol: o.Protocol,
	}.Resolve(nodeRunFlag, getenv)
	if err != nil {
		return nil, err
	}
	if o.PreemptDelay < 0 {
		return nil, &config.Error{Key: "--preempt-delay", Msg: fmt.Sprintf("%s: want a positive duration", o.PreemptDelay)}
	}
	cfg := &node.Config{Groups: []node.Group{g}, ControlSocket: o.ControlSocket, MetricsListen: o.MetricsListen,
		LinkTracking: !o.NoLinkTrack, PreemptDelay: o.PreemptDelay, TransitionLog: o.TransitionLog}
	return cfg, cfg.Validate()
}

// nodeRunFlag names node run's flag for a node.yaml group setting:
// vips[0] is --vip[0], pass_file --pass-file.
func nodeRunFlag(name string) string {
	if rest, ok := strings.CutPrefix(name, "vips"); ok {
		return "--vip" + rest
	}
	return "--" + strings.ReplaceAll(name, "_", "-")
}

// carpverFlag is --carpver, the protocol of node run's and node cleanup's
// groups.
func carpverFlag(f *pflag.FlagSet, v *int, usage string) {
	f.IntVar(v, "carpver", carp.Version, usage)
}

// nodeCleanupOptions are the flags of carpvm node cleanup.
type nodeCleanupOptions struct {
	Interface string
	VHID      int
	VIPs      []string
	NoVMAC    bool
	// CarpVer says which virtual MAC the group's macvlan has: VRRPv3's
	// IPv6 groups use 00:00:5e:00:02:<vrid>.
	CarpVer int
	RunDir  string
	// ConfigFile is --config (node.yaml); GroupFlagGiven the first group
	// flag given beside it (refused), "" for none.
	ConfigFile     string
	GroupFlagGiven string
}

// newNodeCleanupCmd is carpvm node cleanup; runF (nil: nodeCleanupRun)
// gets its options.
func newNodeCleanupCmd(app *App, runF func(context.Context, *nodeCleanupOptions) error) *cobra.Command {
	opts := &nodeCleanupOptions{}
	if runF == nil {
		runF = func(_ context.Context, o *nodeCleanupOptions) error {
			groups, err := o.groups(app.Getenv)
			if err != nil {
				return err
			}
			return node.Cleanup(groups, app.Logger())
		}
	}
	cmd := &cobra.Command{
		Use:   "cleanup (--config node.yaml | --interface IF --vhid N [--vip CIDR...] [--no-vmac] [--carpver 3])",
		Short: "Remove what a dead node left: its macvlan, source rules and VIPs",
		Long: `node cleanup removes what a node killed with SIGKILL (or crashed) left behind:
the macvlan carp<vhid>-<parent>, which would go on answering ARP for the VIPs
with the virtual MAC next to the new master, the node's source policy rules,
and with --no-vmac the VIPs on the interface (name them with --vip). It takes
the groups' locks first (@carpvm-node/<iface>/vhid<N>), so it refuses while a
live node of this network namespace runs them. The
systemd unit runs it as ExecStopPost=.`,
		Example: `  carpvm node cleanup --config /etc/carpvm/node.yaml
  carpvm node cleanup --interface ens192 --vhid 1 --vip 172.27.27.14/28
  carpvm node cleanup --interface ens192 --vhid 1 --vip 2001:db8:27::14/64 --carpver 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ConfigFile, opts.GroupFlagGiven = app.configFile, ""
			for _, name := range []string{"interface", "vhid", "vip", "no-vmac", "carpver"} {
				if cmd.Flags().Changed(name) && opts.GroupFlagGiven == "" {
					opts.GroupFlagGiven = "--" + name
				}
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Interface, "interface", "", "interface the group ran on")
	f.IntVar(&opts.VHID, "vhid", 0, "virtual host id, 1..255")
	f.StringArrayVar(&opts.VIPs, "vip", nil, "virtual address the group held, in CIDR form (repeatable; needed with --no-vmac)")
	f.BoolVar(&opts.NoVMAC, "no-vmac", false, "the node ran with --no-vmac (VIPs on the interface itself)")
	carpverFlag(f, &opts.CarpVer, "the group's protocol: 2 CARP, 3 VRRPv3 (an IPv6 VRRPv3 group's macvlan has MAC 00:00:5e:00:02:<vrid>; name a VIP)")
	runDirFlag(cmd, &opts.RunDir)
	// The group locks are no longer files: the flag is kept so that units
	// that pass it still run.
	_ = f.MarkDeprecated("run-dir", "the group locks are per network namespace, not in a directory; drop the flag")
	return cmd
}

// groups are the groups to clean: node.yaml's, or one from the flags.
func (o *nodeCleanupOptions) groups(getenv config.Getenv) ([]node.Group, error) {
	if o.ConfigFile != "" {
		if o.GroupFlagGiven != "" {
			return nil, usageError("node cleanup: %s and --config node.yaml are exclusive", o.GroupFlagGiven)
		}
		cfg, err := node.LoadConfig(o.ConfigFile, getenv)
		if err != nil {
			return nil, err
		}
		return cfg.Groups, nil
	}
	if o.Interface == "" || o.VHID == 0 {
		return nil, usageError("node cleanup: want --config node.yaml, or --interface and --vhid")
	}
	if o.VHID < 1 || o.VHID > 255 {
		return nil, &config.Error{Key: "--vhid", Msg: fmt.Sprintf("%d is out of range; want 1..255", o.VHID)}
	}
	g := node.Group{Interface: o.Interface, VHID: uint8(o.VHID), VMAC: !o.NoVMAC, ManageVIPs: true}
	for i, s := range o.VIPs {
		p, err := config.ParseVIP(s)
		if err != nil {
			return nil, &config.Error{Key: fmt.Sprintf("--vip[%d]", i), Msg: err.Error()}
		}
		g.VIPs = append(g.VIPs, p)
	}
	if err := (node.ProtocolSettings{CarpVer: o.CarpVer}).Apply(func(name string) string { return "--" + name }, &g); err != nil {
		return nil, err
	}
	return []node.Group{g}, nil
}

// nodeStatusOptions are the flags of carpvm node status.
type nodeStatusOptions struct {
	ControlSocket string
	RunDir        string
	Output        string
}

// newNodeStatusCmd is carpvm node status; runF (nil: nodeStatusRun)
// gets its options.
func newNodeStatusCmd(app *App, runF func(context.Context, *nodeStatusOptions) error) *cobra.Command {
	opts := &nodeStatusOptions{}
	if runF == nil {
		runF = func(ctx context.Context, o *nodeStatusOptions) error { return nodeStatusRun(ctx, app, o) }
	}
	cmd := &cobra.Command{
		Use: "status [--control-socket P] [-o table|json]",
		Example: `  carpvm node status
  carpvm node status --control-socket /run/carpvm/node.sock -o json`,
		Short: "Show a running node's groups: state, master seen, counters, last transition",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), opts)
		},
	}
	controlSocketFlag(cmd, &opts.ControlSocket, "the node's control socket")
	runDirFlag(cmd, &opts.RunDir)
	outputFlag(cmd, &opts.Output)
	return cmd
}

// nodeStatusRun asks the node on the control socket for its status.
func nodeStatusRun(ctx context.Context, app *App, opts *nodeStatusOptions) error {
	if err := checkOutput("node status", opts.Output); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	sock := nodePaths(opts.RunDir, "").ResolveControlSocket(opts.ControlSocket)
	resp, err := node.Call(ctx, sock, node.Request{Command: node.CmdStatus})
	if err != nil {
		return err
	}
	return printNodeStatus(app.IO.Out, app.IO.Terminal(), opts.Output, resp.Status)
}

// nodeDemoteOptions are the flags of carpvm node demote and node promote.
type nodeDemoteOptions struct {
	// Command is node.CmdDemote or node.CmdPromote.
	Command       string
	ControlSocket string
	RunDir        string
	Output        string
	VHID          int
	Demotion      int
}

// newNodeDemoteCmd is carpvm node demote (or promote, as command says);
// runF (nil: nodeDemoteRun) gets its options.
func newNodeDemoteCmd(app *App, command string, runF func(context.Context, *nodeDemoteOptions) error) *cobra.Command {
	o := &nodeDemoteOptions{Command: command}
	if runF == nil {
		runF = func(ctx context.Context, o *nodeDemoteOptions) error { return nodeDemoteRun(ctx, app, o) }
	}
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
			if o.VHID < 0 || o.VHID > 255 {
				return usageError("node %s: --vhid %d: want 1..255 (0: every group)", command, o.VHID)
			}
			if o.Demotion < 0 || o.Demotion > carp.MaxDemotedSkew {
				return usageError("node %s: --demotion %d: want 0..%d", command, o.Demotion, carp.MaxDemotedSkew)
			}
			if err := checkOutput("node "+command, o.Output); err != nil {
				return err
			}
			return runF(cmd.Context(), o)
		},
	}
	controlSocketFlag(cmd, &o.ControlSocket, "the node's control socket")
	runDirFlag(cmd, &o.RunDir)
	cmd.Flags().IntVar(&o.VHID, "vhid", 0, "the group (0: every group on the node)")
	if command == node.CmdDemote {
		cmd.Flags().IntVar(&o.Demotion, "demotion", 0, fmt.Sprintf("demotion added to advskew (default %d: bow out)", carp.MaxDemotedSkew))
	}
	outputFlag(cmd, &o.Output)
	return cmd
}

// nodeDemoteRun sends the demote or promote to the node on the control
// socket and prints the status it answers.
func nodeDemoteRun(ctx context.Context, app *App, o *nodeDemoteOptions) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	sock := nodePaths(o.RunDir, "").ResolveControlSocket(o.ControlSocket)
	resp, err := node.Call(ctx, sock, node.Request{Command: o.Command, VHID: uint8(o.VHID), Demotion: uint8(o.Demotion)})
	if err != nil {
		return err
	}
	return printNodeStatus(app.IO.Out, app.IO.Terminal(), o.Output, resp.Status)
}

func printNodeStatus(w io.Writer, t table.Terminal, format string, st *node.Status) error {
	if st == nil {
		return errors.New("node: empty status from the control socket")
	}
	if format == "json" {
		return writeDocument(w, "node-status", st)
	}
	header := []string{"VHID", "IFACE", "STATE", "MASTER", "VIPS", "ADVBASE", "ADVSKEW", "DEMOTION", "SENT", "RECEIVED", "REJECTED", "LAST TRANSITION"}
	var rows [][]string
	for _, g := range st.Groups {
		rows = append(rows, []string{
			strconv.Itoa(int(g.VHID)), g.Interface, g.State.String(), addrOrDash(g.MasterSeen), table.Dash(prefixes(g.VIPs)),
			strconv.Itoa(int(g.AdvBase)), strconv.Itoa(int(g.AdvSkew)), strconv.Itoa(int(g.Demotion)),
			strconv.FormatUint(g.Sent, 10), strconv.FormatUint(g.Received, 10), rejectSummary(g.Rejected),
			transitionSummary(g.LastTransition),
		})
	}
	if slices.ContainsFunc(st.Groups, func(g node.GroupStatus) bool { return g.Protocol != "" && g.Protocol != "CARP multicast" }) {
		header = append(header, "PROTOCOL")
		for i, g := range st.Groups {
			rows[i] = append(rows[i], table.Dash(g.Protocol))
		}
	}
	if slices.ContainsFunc(st.Groups, func(g node.GroupStatus) bool { return g.Preferred != "" }) {
		header = append(header, "PREFERRED")
		for i, g := range st.Groups {
			rows[i] = append(rows[i], table.Dash(g.Preferred))
		}
	}
	if err := table.Write(w, t, table.Layout{Whole: []string{"IFACE", "PREFERRED"}}, header, rows); err != nil {
		return err
	}
	if len(st.DemotionCauses) > 0 {
		causes := make([]string, len(st.DemotionCauses))
		for i, c := range st.DemotionCauses {
			causes[i] = fmt.Sprintf("%s (%d)", c.Name, c.Weight)
		}
		fmt.Fprintf(w, "router demoted by %d: %s\n", st.Demotion, strings.Join(causes, ", "))
	}
	if st.ClockJumps > 0 && st.LastClockJump != nil {
		fmt.Fprintf(w, "frozen %d time(s); last at %s, timers %.3f s late\n",
			st.ClockJumps, st.LastClockJump.At.UTC().Format(time.RFC3339), st.LastClockJump.LateS)
	}
	for _, t := range st.Tracks {
		state := "healthy"
		if t.Failing {
			state = "FAILING"
		}
		fmt.Fprintf(w, "track %s: %s (weight %d) %s\n", t.Name, state, t.Weight, t.Last)
	}
	return nil
}

func addrOrDash(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}

func prefixes(ps []netip.Prefix) string { return strings.Join(prefixList(ps), ",") }

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
