package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/table"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/config"
)

// watchOptions are the flags of carpvm watch.
type watchOptions struct {
	Interface string
	PassFile  string
	VIPs      []string
	Duration  time.Duration
	Output    string
}

func newWatchCmd(app *App) *cobra.Command {
	opts := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch --interface IF [--pass-file F --vip [VHID=]ADDR...] [--duration D] [-o table|json]",
		Short: "Listen to every CARP and VRRP group on a segment (never sends)",
		Long: `watch listens on an interface (AF_PACKET, protocol 112 only) and reports every
CARP and VRRP group it hears: advertisers with source IP and MAC, vhid/vrid,
advbase, advskew, demote, who is master, how often it advertises, whether the
HMAC verifies (with --pass-file and the group's VIPs, which are not on the
wire), and warnings: two masters, a VRRP vrid equal to a CARP vhid, failing
authentication, a master whose interval changed.

On a terminal without --duration the table refreshes every second until
Ctrl-C; with --duration (for scripts) it prints one table or JSON document at
the end.`,
		Example: `  carpvm watch --interface ens192
  carpvm watch --interface ens192 --pass-file /etc/carpvm/intranought.pass --vip 1=172.27.27.14 --duration 10s -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return watchRun(cmd.Context(), app, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Interface, "interface", "", "interface to listen on")
	f.StringVar(&opts.PassFile, "pass-file", "", "passphrase file, to verify CARP HMACs")
	f.StringArrayVar(&opts.VIPs, "vip", nil, "[VHID=]ADDR: a group's VIP, needed to verify its HMAC; without VHID= for every vhid (repeatable)")
	f.DurationVar(&opts.Duration, "duration", 0, "listen this long, then print the result (0: until interrupted)")
	f.StringVarP(&opts.Output, "output", "o", "table", "output format: table or json")
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

func watchRun(ctx context.Context, app *App, opts *watchOptions) error {
	if opts.Interface == "" {
		return usageError("watch: --interface is required")
	}
	if opts.Output != "table" && opts.Output != "json" {
		return usageError("watch: -o %q: want table or json", opts.Output)
	}
	if opts.Duration < 0 {
		return usageError("watch: --duration %s: want a positive duration", opts.Duration)
	}
	wo, err := opts.witnessOptions(app.Getenv)
	if err != nil {
		return err
	}
	link, err := node.OpenPacketLink(opts.Interface, node.LinkOptions{})
	if err != nil {
		return err
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	var refresh time.Duration
	var show func(witness.Snapshot)
	if app.IO.OutTTY && opts.Duration == 0 && opts.Output == "table" {
		refresh = time.Second
		show = func(s witness.Snapshot) {
			fmt.Fprint(app.IO.Out, "\033[H\033[2J") // home, clear screen
			_ = printWatch(app.IO.Out, true, s)
		}
	}
	snap := node.Watch(ctx, link, witness.New(wo), nil, refresh, show)
	if opts.Output == "json" {
		enc := json.NewEncoder(app.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	return printWatch(app.IO.Out, app.IO.OutTTY, snap)
}

func printWatch(w io.Writer, tty bool, s witness.Snapshot) error {
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
	if err := table.Write(w, tty, header, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d frames, %d malformed, %d neither CARP nor VRRP\n", s.Frames, s.Malformed, s.Unknown)
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "WARNING %s: %s\n", warn.Code, warn.Message)
	}
	return nil
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
