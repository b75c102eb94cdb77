package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/table"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/capture"
	"github.com/carpvm/carpvm/internal/transition"
)

// watchOptions are the flags of carpvm watch.
type watchOptions struct {
	Interface string
	// Read is a capture file to replay instead of listening.
	Read     string
	PassFile string
	VIPs     []string
	Duration time.Duration
	Output   string
	// Network names the carpvm.yaml network being watched, for the
	// ownership map (with --config).
	Network string
	// Promiscuous puts the interface in promiscuous mode while watching,
	// to hear unicast adverts between two other hosts.
	Promiscuous bool
	// Transitions is a file the witness appends a transition line to per
	// state change it observes.
	Transitions string
}

// newWatchCmd is carpvm watch; runF (nil: watchRun) gets its options.
func newWatchCmd(app *App, runF func(context.Context, *watchOptions) error) *cobra.Command {
	opts := &watchOptions{}
	if runF == nil {
		runF = func(ctx context.Context, o *watchOptions) error { return watchRun(ctx, app, o) }
	}
	cmd := &cobra.Command{
		Use:   "watch (--interface IF [--duration D] | --read FILE) [--pass-file F --vip [VHID=]ADDR... | --config F [--pair P] --network NAME] [-o table|json]",
		Short: "Listen to every CARP and VRRP group on a segment (never sends)",
		Long: `watch listens on an interface (AF_PACKET, protocol 112 only) and reports every
CARP and VRRP group it hears: advertisers with source IP and MAC, vhid/vrid,
advbase, advskew, demote, who is master, how often it advertises, whether the
HMAC verifies (with --pass-file and the group's VIPs, which are not on the
wire), and warnings: two masters, a VRRP vrid equal to a CARP vhid, failing
authentication, a master whose interval changed, adverts arriving twice (a
teamed vSwitch reflecting them to their sender).

On a terminal without --duration the table refreshes every second until
Ctrl-C; with --duration (for scripts) it prints one table or JSON document at
the end.

--read replays a capture file (pcap or pcapng, Ethernet) instead, with the
capture's own timestamps, and reports the segment as it was at the capture's
last packet: where carpvm cannot run, capture with tcpdump, or on the ESXi
host with pktcap-uw (e.g. pktcap-uw --switchport PORT --dir 2 -o carp.pcap),
and read the file anywhere.

With --config carpvm.yaml and --network NAME, watch takes that network's
groups from the plan: their VIPs and passphrase (unless --vip or --pass-file
say otherwise), and prints the ownership map of an active/active pair: per
group, its preferred master, the master heard (by router name, from the
routers' addresses) and whether it is the preferred one (preferred), the
other router (peer), someone else (unknown), nobody (none) or two at once
(split). With a fleet (a pairs list, or a directory of carpvm.yaml files),
--pair names the pair whose network it is.

--transitions FILE appends one carpvm.transition/v1 line per state change
the witness observes (the file carpvm explain reads): a master replaced by
another, bowing out or silent for longer than its master-down interval (at
least a second), and
an advertiser starting (again). The router is the one whose address sent
the adverts (carpvm.yaml's addresses, else the address itself), the network
--network's (else the interface, or the capture file's name). The first
advertiser heard of each group is where the witness starts, not a change.

Unicast adverts (FreeBSD 14's peer, networks with mode: unicast) go from one
router's own MAC to the other's: a witness on a third port hears them only
with --promiscuous and a portgroup whose promiscuous mode is Accept (or run it
on a router). VRRPv3 adverts are decoded whole (priority, interval,
addresses), with their checksum checked over the pseudo-header.`,
		Example: `  carpvm watch --interface ens192
  carpvm watch --interface ens192 --pass-file /etc/carpvm/intranought.pass --vip 1=172.27.27.14 \
      --duration 10s -o json
  carpvm watch --read carp/testdata/ucarp-vhid1-pair.pcap \
      --pass-file docs/examples/ucarp-vector.pass --vip 1=172.27.27.14
  carpvm watch --interface ens192 --config /etc/carpvm/carpvm.yaml --network intranought
  carpvm watch --interface ens192 --config /etc/carpvm/fleet.yaml --pair roubaix \
      --network intranought
  carpvm watch --interface ens192 --config /etc/carpvm/carpvm.yaml --network intranought \
    --transitions /var/log/carpvm/witness.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.check(); err != nil {
				return err
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Interface, "interface", "", "interface to listen on")
	f.StringVar(&opts.Read, "read", "", "replay this capture file (pcap or pcapng) instead of listening")
	f.BoolVar(&opts.Promiscuous, "promiscuous", false, "put the interface in promiscuous mode while watching, to hear unicast adverts between the routers")
	f.StringVar(&opts.PassFile, "pass-file", "", "passphrase file, to verify CARP HMACs")
	f.StringArrayVar(&opts.VIPs, "vip", nil, "[VHID=]ADDR: a group's VIP, needed to verify its HMAC; without VHID= for every vhid (repeatable)")
	f.DurationVar(&opts.Duration, "duration", 0, "listen this long, then print the result (0: until interrupted)")
	f.StringVar(&opts.Transitions, "transitions", "", "append a carpvm.transition/v1 line per observed state change to this file")
	outputFlag(cmd, &opts.Output)
	f.StringVar(&opts.Network, "network", "", "with --config: the network watched, for its groups' VIPs, passphrase and ownership map")
	completeFlag(cmd, "network", completeNetwork(app))
	addPairFlag(cmd, app, "with --config naming a fleet: the pair whose network is watched")
	return cmd
}

func (o *watchOptions) witnessOptions(getenv config.Getenv) (witness.Options, error) {
	var wo witness.Options
	if o.PassFile != "" {
		k, err := node.ReadKey(o.PassFile, getenv)
		if err != nil {
			return wo, &config.Error{Key: "--pass-file", Msg: err.Error()}
		}
		wo.Key = &k
	}
	var all []netip.Addr
	per := map[uint8][]netip.Addr{}
	for _, v := range o.VIPs {
		vhidStr, addr, scoped := strings.Cut(v, "=")
		if !scoped {
			addr = vhidStr
		}
		p, err := config.ParseVIP(addr)
		if err != nil {
			return wo, &config.Error{Key: "--vip", Msg: err.Error()}
		}
		if !scoped {
			all = append(all, p.Addr())
			continue
		}
		id, err := strconv.Atoi(vhidStr)
		if err != nil || id < 1 || id > 255 {
			return wo, &config.Error{Key: "--vip", Msg: fmt.Sprintf("%q: want VHID=ADDR with VHID in 1..255", v)}
		}
		per[uint8(id)] = append(per[uint8(id)], p.Addr())
	}
	if len(all) > 0 || len(per) > 0 {
		wo.VIPs = map[uint8][]netip.Addr{}
		for id := 1; id <= 255; id++ {
			vips := append(append([]netip.Addr(nil), per[uint8(id)]...), all...)
			if len(vips) > 0 {
				wo.VIPs[uint8(id)] = vips
			}
		}
	}
	return wo, nil
}

// check refuses contradictory or malformed flags.
func (opts *watchOptions) check() error {
	switch {
	case opts.Interface == "" && opts.Read == "":
		return usageError("watch: --interface (listen) or --read (a capture file) is required")
	case opts.Interface != "" && opts.Read != "":
		return usageError("watch: --interface and --read exclude each other: listen, or replay a capture")
	case opts.Read != "" && opts.Duration != 0:
		return usageError("watch: --duration is for --interface; --read replays the whole capture")
	}
	if err := checkOutput("watch", opts.Output); err != nil {
		return err
	}
	if opts.Duration < 0 {
		return usageError("watch: --duration %s: want a positive duration", opts.Duration)
	}
	return nil
}

// watchRun listens (or replays the capture) and reports the segment.
func watchRun(ctx context.Context, app *App, opts *watchOptions) error {
	wo, err := opts.witnessOptions(app.Getenv)
	if err != nil {
		return err
	}
	network := opts.Interface
	if opts.Read != "" {
		network = filepath.Base(opts.Read)
	}
	if opts.Network != "" || app.configFile != "" || app.Getenv("CARPVM_CONFIG") != "" {
		cfg, err := app.LoadConfig(false)
		if err != nil {
			return err
		}
		if network, err = addPlan(&wo, cfg, opts.Network, opts.PassFile != "", app.Getenv); err != nil {
			return err
		}
	}
	var record transitionRecorder
	if opts.Transitions != "" {
		f, err := transition.OpenFile(opts.Transitions)
		if err != nil {
			return fmt.Errorf("watch --transitions: %w", err) // a file: exit 5
		}
		defer f.Close()
		wo.Network = network
		record = transitionRecorder{w: transition.NewWriter(f), file: opts.Transitions, notice: app.IO.notice}
	}
	if opts.Read != "" {
		w := witness.New(wo)
		snap, last, err := replayCapture(app.IO, opts.Read, w)
		if err != nil {
			return err
		}
		record.write(w.Transitions(last))
		if err := record.failed(); err != nil {
			return err
		}
		return printWatch(app.IO.Out, app.IO.Terminal(), opts.Output, snap)
	}
	link, err := node.OpenPacketLink(opts.Interface, node.LinkOptions{Promiscuous: opts.Promiscuous})
	if err != nil {
		return err
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	var show func(witness.Snapshot)
	if app.IO.OutTTY && opts.Duration == 0 && opts.Output == "table" {
		show = func(s witness.Snapshot) {
			fmt.Fprint(app.IO.Out, "\033[H\033[2J") // home, clear screen
			_ = writeWatchTable(app.IO.Out, app.IO.Terminal(), s)
		}
	}
	wopts := node.WatchOptions{Show: show}
	if opts.Transitions != "" {
		wopts.Transitions = record.write
	}
	snap := watchLink(ctx, app.IO, opts.Interface, link, witness.New(wo), wopts)
	if err := record.failed(); err != nil {
		return err
	}
	return printWatch(app.IO.Out, app.IO.Terminal(), opts.Output, snap)
}

// transitionRecorder appends the witness's transition lines to
// --transitions. A failed write is said once and the watch goes on (the
// log explains failovers, losing it must not end the watch); the command
// then fails at the end.
type transitionRecorder struct {
	w      *transition.Writer
	file   string
	notice func(format string, args ...any)
	err    error
}

func (r *transitionRecorder) write(ts []transition.Transition) {
	if r.w == nil {
		return
	}
	for _, t := range ts {
		if err := r.w.Write(t); err != nil {
			if r.err == nil {
				r.notice("watch: cannot write --transitions %s: %v; watching on", r.file, err)
				r.err = err
			}
			return
		}
	}
}

// failed is the first write error, naming the file.
func (r *transitionRecorder) failed() error {
	if r.err == nil {
		return nil
	}
	return fmt.Errorf("watch --transitions %s: %w", r.file, r.err)
}

// addPlan adds a carpvm.yaml network's plan to wo: each group's VIPs (to
// verify HMACs), its passphrase unless --pass-file gave one, the preferred
// master of each group and the routers' addresses, for the ownership map.
// It returns the network's name.
func addPlan(wo *witness.Options, cfg *config.Config, name string, havePass bool, getenv config.Getenv) (string, error) {
	var names []string
	for _, n := range cfg.Networks {
		names = append(names, n.Name)
	}
	if name == "" && len(cfg.Networks) == 1 {
		name = cfg.Networks[0].Name
	}
	n, ok := cfg.Network(name)
	if !ok {
		what := "--network is required with a configuration of several networks"
		if name != "" {
			what = fmt.Sprintf("--network %q is not a network of the configuration", name)
		}
		return "", usageError("watch: %s; want one of %s", what, strings.Join(names, ", "))
	}
	if !havePass && n.PassFile != "" {
		k, err := node.ReadKey(n.PassFile, getenv)
		if err != nil {
			return "", &config.Error{Key: "networks." + n.Name + ".pass_file", Msg: err.Error()}
		}
		wo.Key = &k
	}
	if wo.VIPs == nil {
		wo.VIPs = map[uint8][]netip.Addr{}
	}
	wo.Routers = map[netip.Addr]string{}
	for router, addr := range n.Addresses {
		wo.Routers[addr.Addr()] = router
	}
	for _, g := range n.Groups() {
		vhid := uint8(g.VHID)
		if _, given := wo.VIPs[vhid]; !given {
			for _, p := range g.VIPs {
				wo.VIPs[vhid] = append(wo.VIPs[vhid], p.Addr())
			}
		}
		wo.Expected = append(wo.Expected, witness.Expected{Network: n.Name, VHID: vhid, VIPs: g.VIPs, Preferred: g.Master})
	}
	return n.Name, nil
}

// printWatch prints a snapshot as a table or JSON.
func printWatch(w io.Writer, t table.Terminal, output string, snap witness.Snapshot) error {
	if output == "json" {
		return writeDocument(w, "watch", snap)
	}
	return writeWatchTable(w, t, snap)
}

// replayCapture reads the capture at path and replays it into w
// (witness.Replay), returning the snapshot and the time of its last
// packet. A capture cut short is read up to the cut, with a warning; what
// the capture held is a progress line.
func replayCapture(io IOStreams, path string, w *witness.Witness) (witness.Snapshot, time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return witness.Snapshot{}, time.Time{}, usageError("watch --read: %v", err)
	}
	pkts, err := capture.Parse(b)
	switch {
	case errors.Is(err, capture.ErrTruncated):
		io.notice("warning: %s: %v; reading the %d packets before the cut", path, err, len(pkts))
	case err != nil:
		return witness.Snapshot{}, time.Time{}, usageError("watch --read %s: %v", path, err)
	}
	if len(pkts) == 0 {
		return witness.Snapshot{}, time.Time{}, usageError("watch --read %s: the capture holds no Ethernet packets", path)
	}
	snap, r := w.Replay(pkts)
	io.progress("%s: %d packets over %.3f s (%s to %s), %d not protocol 112 (skipped)",
		path, r.Packets, r.Last.Sub(r.First).Seconds(), r.First.Format(time.RFC3339), r.Last.Format(time.RFC3339), r.Skipped)
	return snap, r.Last, nil
}

func writeWatchTable(w io.Writer, t table.Terminal, s witness.Snapshot) error {
	header := []string{"PROTO", "ID", "SOURCE", "MAC", "ROLE", "ADVBASE", "ADVSKEW", "DEMOTE", "PRIO", "INTERVAL", "OBSERVED", "AUTH", "ADVERTS"}
	var rows [][]string
	for _, g := range s.Groups {
		for _, a := range g.Advertisers {
			rows = append(rows, []string{
				string(g.Protocol), strconv.Itoa(int(g.ID)), a.Src.String(), a.MAC, string(a.Role),
				strconv.Itoa(int(a.AdvBase)), strconv.Itoa(int(a.AdvSkew)), strconv.Itoa(int(a.Demote)), strconv.Itoa(int(a.Priority)),
				seconds(a.Interval), seconds(a.Observed), authCell(a), strconv.FormatUint(a.Adverts, 10),
			})
		}
	}
	if err := table.Write(w, t, table.Layout{Whole: []string{"SOURCE", "MAC"}}, header, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d frames, %d malformed, %d neither CARP nor VRRP\n", s.Frames, s.Malformed, s.Unknown)
	if len(s.Ownership) > 0 {
		fmt.Fprintln(w)
		if err := writeOwnership(w, t, s.Ownership); err != nil {
			return err
		}
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "WARNING %s: %s\n", warn.Code, warn.Message)
	}
	return nil
}

// writeOwnership prints the planned groups' masters: the ownership map of
// an active/active pair.
func writeOwnership(w io.Writer, t table.Terminal, owners []witness.Owner) error {
	header := []string{"NETWORK", "VHID", "VIPS", "PREFERRED", "MASTER", "OWNERSHIP"}
	var rows [][]string
	for _, o := range owners {
		vips := make([]string, len(o.VIPs))
		for i, v := range o.VIPs {
			vips[i] = v.String()
		}
		master := strings.Join(o.Masters, ", ")
		if master == "" {
			master = "-"
		}
		rows = append(rows, []string{o.Network, strconv.Itoa(int(o.VHID)), strings.Join(vips, " "), o.Preferred, master, o.State})
	}
	return table.Write(w, t, table.Layout{Whole: []string{"NETWORK", "PREFERRED", "MASTER"}}, header, rows)
}

func authCell(a witness.Advertiser) string {
	if a.AuthFailures > 0 {
		return fmt.Sprintf("%s (%d failed)", a.Auth, a.AuthFailures)
	}
	return string(a.Auth)
}

func seconds(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}
