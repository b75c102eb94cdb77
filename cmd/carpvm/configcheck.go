package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/config"
)

func newConfigCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with carpvm's configuration files",
	}
	cmd.AddCommand(newConfigCheckCmd(app))
	return cmd
}

func newConfigCheckCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check [--config carpvm.yaml|node.yaml]",
		Short: "Validate carpvm.yaml or node.yaml and summarise it (like keepalived -t)",
		Long: `config check loads a configuration file as the commands that use it do and
reports every error, each naming its key (exit 2), or summarises what the
file configures (exit 0). It tells the two kinds apart by their keys: a
node.yaml has groups at the top, a carpvm.yaml a pair and networks (or pairs: a fleet, every pair
summarised unless --pair names one; --config may also name a directory of
carpvm.yaml files). A
node.yaml's pass files are read, as node run reads them, so check it where
the node runs; a carpvm.yaml's are not. Passphrases are never printed.`,
		Example: `  carpvm config check --config carpvm.yaml
  carpvm config check --config /etc/carpvm/node.yaml
  carpvm config check --config docs/examples/active-active.yaml
  carpvm config check --config docs/examples/fleet.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return configCheckRun(app)
		},
	}
	addPairFlag(cmd, app, "summarise only this pair of a fleet (without it, every pair)")
	return cmd
}

// configCheckRun validates the --config file, whichever kind it is.
func configCheckRun(app *App) error {
	path := app.configFile
	if path == "" {
		path = app.Getenv("CARPVM_CONFIG")
	}
	if path == "" {
		return usageError("config check: --config FILE is required (carpvm.yaml or node.yaml)")
	}
	pairs, err := loadPairsToCheck(app, path)
	if pairs == nil {
		return err // a node.yaml (summarised) or an error
	}
	var errs []error
	for _, c := range pairs {
		for _, n := range c.Networks {
			if err := n.CheckVMACMasters(); err != nil {
				var split *config.VMACSplitError
				errors.As(err, &split)
				key := "networks." + n.Name + ".groups"
				if len(pairs) > 1 {
					key = "pair " + c.Pair.Name + ": " + key
				}
				errs = append(errs, &config.Error{Key: key, Msg: err.Error() + ". " + split.Fix()})
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(pairs) == 1 {
		fmt.Fprintf(app.IO.Out, "%s: a valid carpvm.yaml\n", path)
		return summarisePair(app.IO.Out, pairs[0])
	}
	fmt.Fprintf(app.IO.Out, "%s: a valid carpvm.yaml, %d pairs (%s)\n", path, len(pairs), strings.Join(config.Names(pairs), ", "))
	for _, c := range pairs {
		fmt.Fprintln(app.IO.Out)
		if err := summarisePair(app.IO.Out, c); err != nil {
			return err
		}
	}
	return nil
}

// loadPairsToCheck loads path's pairs (the one --pair names, if given), or
// summarises it and returns no pairs when it is a node.yaml.
func loadPairsToCheck(app *App, path string) ([]*config.Config, error) {
	var pairs []*config.Config
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if pairs, err = config.LoadPath(path, app.Getenv); err != nil {
			return nil, err
		}
	} else {
		v, err := config.NewViper(path)
		if err != nil {
			return nil, err
		}
		if v.InConfig("groups") && !v.InConfig("pair") && !v.InConfig("networks") && !v.InConfig("pairs") {
			nc, err := node.LoadConfig(path, app.Getenv)
			if err != nil {
				return nil, err
			}
			return nil, summariseNode(app.IO.Out, path, nc)
		}
		if pairs, err = config.LoadFleet(v, app.Getenv); err != nil {
			return nil, err
		}
	}
	if app.pair == "" {
		return pairs, nil
	}
	c, err := config.SelectPair(pairs, app.pair)
	if err != nil {
		return nil, err
	}
	return []*config.Config{c}, nil
}

// summarisePair prints a pair's routers and networks.
func summarisePair(w io.Writer, c *config.Config) error {
	var routers []string
	for _, r := range c.Pair.Routers {
		routers = append(routers, fmt.Sprintf("%s (VM %s, advskew %d)", r.Name, r.VM, r.AdvSkew))
	}
	fmt.Fprintf(w, "pair %s: %s\n", c.Pair.Name, strings.Join(routers, ", "))
	for _, n := range c.Networks {
		if n.Protocol == config.ProtocolVRRP3 {
			fmt.Fprintf(w, "network %s on portgroup %s, VRRPv3 (no authentication) %s, interval %d cs:\n", n.Name, n.Portgroup, n.Mode, n.VRRPInterval)
		} else {
			fmt.Fprintf(w, "network %s on portgroup %s, CARP %s, advbase %d:\n", n.Name, n.Portgroup, n.Mode, n.AdvBase)
		}
		for _, g := range n.Groups() {
			fmt.Fprintf(w, "  vhid %d %s: master %s\n", g.VHID, prefixes(g.VIPs), g.Master)
		}
	}
	return nil
}

func summariseNode(w io.Writer, path string, c *node.Config) error {
	fmt.Fprintf(w, "%s: a valid node.yaml\n", path)
	socket, metrics := c.ControlSocket, c.MetricsListen
	if socket == "" {
		socket = "off"
	}
	if metrics == "" {
		metrics = "off"
	}
	fmt.Fprintf(w, "control socket %s, metrics %s\n", socket, metrics)
	for _, g := range c.Groups {
		fmt.Fprintf(w, "  vhid %d on %s %s: advbase %d, advskew %d, preempt %v\n", g.VHID, g.Interface, prefixes(g.VIPs), g.AdvBase, g.AdvSkew, g.Preempt)
	}
	return nil
}
