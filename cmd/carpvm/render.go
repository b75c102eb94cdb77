package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/render"
)

// renderOptions are the argument and flags of carpvm render.
type renderOptions struct {
	// Target is the argument: freebsd, keepalived, node or ucarp.
	Target      string
	Router      string
	WithSecrets bool
	Example     bool
	Interfaces  []string // network=ifname, for Linux targets
}

// newRenderCmd is carpvm render; runF (nil: renderRun) gets its options.
func newRenderCmd(app *App, runF func(context.Context, *renderOptions) error) *cobra.Command {
	opts := &renderOptions{}
	if runF == nil {
		runF = func(_ context.Context, o *renderOptions) error { return renderRun(app, o) }
	}
	cmd := &cobra.Command{
		Use:   "render freebsd|keepalived|node|ucarp --router NAME",
		Short: "Render each router's CARP configuration from carpvm.yaml",
		Long: `render prints what a router needs, from the same carpvm.yaml that preflight and
drill read, so the routers and the docs never disagree:

  freebsd     /boot/loader.conf, /etc/sysctl.conf and /etc/rc.conf carp aliases
              (CARP, or VRRPv3 with carpver 3; unicast networks get peer/peer6)
  keepalived  keepalived.conf for a Linux router whose peer speaks VRRPv3
              (networks with protocol: vrrp3)
  node        carpvm node's node.yaml and its systemd unit (Linux routers)
  ucarp       one systemd unit per network and the VIP up/down scripts

Passphrases are printed only with --with-secrets (read from each network's
pass_file); otherwise a placeholder names the file.`,
		Example: `  carpvm render freebsd --router router-002 --config carpvm.yaml
  carpvm render node --router router-003 --interface intranought=ens192 \
      --interface public=ens224 --example
  carpvm render ucarp --router router-003 --interface intranought=ens192 --example
  carpvm render freebsd --router router-003 --config docs/examples/fleet.yaml --pair roubaix
  carpvm render keepalived --router router-003 --config docs/examples/vrrp3-unicast.yaml \
      --interface intranought=ens192 --interface public=ens224`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"freebsd", "keepalived", "node", "ucarp"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			if opts.Router == "" {
				return usageError("render: --router is required (e.g. --router router-002)")
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Router, "router", "", "the router to render for (name or VM name)")
	cmd.Flags().BoolVar(&opts.WithSecrets, "with-secrets", false, "read the passphrases from the pass files and print them")
	cmd.Flags().BoolVar(&opts.Example, "example", false, "render the built-in example configuration (router-002/router-003, IntraNought and Public)")
	addPairFlag(cmd, app, "the pair of a fleet to render for (needed when the configuration holds several)")
	cmd.Flags().StringArrayVar(&opts.Interfaces, "interface", nil, "NETWORK=IFNAME: the router's interface on that network (keepalived, node, ucarp; Linux names differ from vmx0)")
	return cmd
}

func renderRun(app *App, opts *renderOptions) error {
	target := opts.Target
	cfg, err := app.LoadConfig(opts.Example)
	if err != nil {
		return err
	}
	var files render.Files
	switch target {
	case "freebsd":
		var secrets render.Secrets
		if opts.WithSecrets {
			if secrets, err = readPassFiles(cfg); err != nil {
				return err
			}
		}
		files, err = render.FreeBSD(cfg, opts.Router, secrets)
	case "keepalived", "node", "ucarp":
		ifaces, perr := parseInterfaceFlags(cfg, opts.Interfaces)
		if perr != nil {
			return perr
		}
		linux := render.LinuxOptions{Interface: ifaces}
		switch target {
		case "keepalived":
			files, err = render.Keepalived(cfg, opts.Router, linux)
		case "node":
			files, err = render.Node(cfg, opts.Router, linux)
		default:
			files, err = render.Ucarp(cfg, opts.Router, linux)
		}
	default:
		return usageError("render: unknown target %q; want freebsd, keepalived, node or ucarp", target)
	}
	if err != nil {
		return withExit(exitUsage, err)
	}
	_, err = files.WriteTo(app.IO.Out)
	return err
}

func readPassFiles(cfg *config.Config) (render.Secrets, error) {
	secrets := render.Secrets{}
	for i, n := range cfg.Networks {
		if n.PassFile == "" {
			return nil, &config.Error{Key: fmt.Sprintf("networks[%d].pass_file", i), Msg: "not set; --with-secrets needs each network's pass file"}
		}
		s, err := config.ReadSecretFile(n.PassFile)
		if err != nil {
			return nil, &config.Error{Key: fmt.Sprintf("networks[%d].pass_file", i), Msg: err.Error()}
		}
		secrets[n.Name] = s
	}
	return secrets, nil
}

func parseInterfaceFlags(cfg *config.Config, flags []string) (map[string]string, error) {
	ifaces := map[string]string{}
	for _, f := range flags {
		network, ifname, ok := strings.Cut(f, "=")
		if !ok || ifname == "" {
			return nil, usageError("render: --interface %q: want NETWORK=IFNAME, e.g. intranought=ens192", f)
		}
		if _, ok := cfg.Network(network); !ok {
			return nil, usageError("render: --interface %q: no network named %q in the configuration", f, network)
		}
		ifaces[network] = ifname
	}
	return ifaces, nil
}
