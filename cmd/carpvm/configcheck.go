package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/workflow"
)

func newConfigCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with carpvm's configuration files",
	}
	cmd.AddCommand(newConfigCheckCmd(app, nil))
	return cmd
}

// configCheckOptions are the flags of `carpvm config check`.
type configCheckOptions struct {
	Output string
}

// newConfigCheckCmd is carpvm config check; runF (nil: configCheckRun)
// gets its options.
func newConfigCheckCmd(app *App, runF func(context.Context, *configCheckOptions) error) *cobra.Command {
	opts := &configCheckOptions{}
	if runF == nil {
		runF = func(_ context.Context, o *configCheckOptions) error { return configCheckRun(app, o) }
	}
	cmd := &cobra.Command{
		Use:   "check [--config carpvm.yaml|node.yaml] [-o json]",
		Short: "Validate carpvm.yaml or node.yaml and summarise it (like keepalived -t)",
		Long: `config check loads a configuration file (--config, else CARPVM_CONFIG) as the
commands that use it do, through the same validator, and reports every
error, each naming its key (exit 2), or summarises what the file configures
(exit 0). It tells the two kinds apart by their keys: a node.yaml has groups
at the top, a carpvm.yaml a pair and networks (or pairs: a fleet, every
pair summarised unless --pair names one; --config may also name a directory
of carpvm.yaml files). A node.yaml's pass files are read, as node run reads
them, so check it where the node runs; a carpvm.yaml's are not. Passphrases
are never printed.

With -o json it prints one document, valid or not: format
(carpvm.config-check/v1), path, kind, valid, errors ({key, message}), pairs
(a carpvm.yaml's: name, routers, networks and their groups) or groups (a
node.yaml's).`,
		Example: `  carpvm config check --config carpvm.yaml
  carpvm config check --config /etc/carpvm/node.yaml
  carpvm config check --config docs/examples/active-active.yaml
  carpvm config check --config docs/examples/fleet.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), opts)
		},
	}
	addPairFlag(cmd, app, "summarise only this pair of a fleet (without it, every pair)")
	outputFlag(cmd, &opts.Output)
	return cmd
}

// configCheckDocument is the -o json output of config check.
type configCheckDocument struct {
	Path   string             `json:"path"`
	Kind   config.FileKind    `json:"kind"`
	Valid  bool               `json:"valid"`
	Errors []configCheckError `json:"errors"`
	Pairs  []configCheckPair  `json:"pairs,omitempty"`
	Groups []configCheckGroup `json:"groups,omitempty"`
}

type configCheckError struct {
	Key     string `json:"key"`
	Message string `json:"message"`
}

type configCheckPair struct {
	Name     string              `json:"name"`
	Routers  []configCheckRouter `json:"routers"`
	Networks []configCheckNet    `json:"networks"`
}

type configCheckRouter struct {
	Name    string `json:"name"`
	VM      string `json:"vm"`
	AdvSkew int    `json:"advskew"`
}

type configCheckNet struct {
	Name      string             `json:"name"`
	Portgroup string             `json:"portgroup"`
	Protocol  string             `json:"protocol"`
	Mode      string             `json:"mode"`
	Groups    []configCheckGroup `json:"groups"`
}

type configCheckGroup struct {
	VHID      int      `json:"vhid"`
	Interface string   `json:"interface,omitempty"`
	VIPs      []string `json:"vips"`
	Master    string   `json:"master,omitempty"`
}

// configCheckRun validates the configuration file, whichever kind it is.
func configCheckRun(app *App, opts *configCheckOptions) error {
	if err := checkOutput("config check", opts.Output); err != nil {
		return err
	}
	path := app.configFile
	if path == "" {
		path = app.Getenv("CARPVM_CONFIG")
	}
	if path == "" {
		return usageError("config check: --config FILE is required (carpvm.yaml or node.yaml; or set CARPVM_CONFIG)")
	}
	checked, err := workflow.CheckConfig(path, app.Getenv, app.pair)
	doc := configCheckDocument{Path: path, Kind: checked.Kind}
	pairs, nodeConfig := checked.Pairs, checked.Node
	if opts.Output != "json" {
		if err != nil {
			return err
		}
		if nodeConfig != nil {
			return summariseNode(app.IO.Out, path, nodeConfig)
		}
		return summarisePairs(app.IO.Out, path, pairs)
	}
	doc.Valid = err == nil
	for _, e := range config.Errors(err) {
		var ce *config.Error
		if errors.As(e, &ce) {
			doc.Errors = append(doc.Errors, configCheckError{Key: ce.Key, Message: ce.Msg})
		} else {
			doc.Errors = append(doc.Errors, configCheckError{Message: e.Error()})
		}
	}
	if doc.Valid {
		doc.Pairs, doc.Groups = pairDocuments(pairs), nodeGroupDocuments(nodeConfig)
	}
	if werr := writeDocument(app.IO.Out, "config-check", doc); werr != nil {
		return werr
	}
	if err != nil {
		return silentExit(exitUsage) // the errors are in the document
	}
	return nil
}

// summarisePairs prints what a valid carpvm.yaml configures.
func summarisePairs(w io.Writer, path string, pairs []*config.Config) error {
	if len(pairs) == 1 {
		fmt.Fprintf(w, "%s: a valid carpvm.yaml\n", path)
		return summarisePair(w, pairs[0])
	}
	fmt.Fprintf(w, "%s: a valid carpvm.yaml, %d pairs (%s)\n", path, len(pairs), strings.Join(config.Names(pairs), ", "))
	for _, c := range pairs {
		fmt.Fprintln(w)
		if err := summarisePair(w, c); err != nil {
			return err
		}
	}
	return nil
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

// pairDocuments are the pairs as config check -o json shows them.
func pairDocuments(pairs []*config.Config) []configCheckPair {
	var out []configCheckPair
	for _, c := range pairs {
		p := configCheckPair{Name: c.Pair.Name}
		for _, r := range c.Pair.Routers {
			p.Routers = append(p.Routers, configCheckRouter{Name: r.Name, VM: r.VM, AdvSkew: r.AdvSkew})
		}
		for _, n := range c.Networks {
			cn := configCheckNet{Name: n.Name, Portgroup: n.Portgroup, Protocol: string(n.Protocol), Mode: string(n.Mode)}
			for _, g := range n.Groups() {
				cn.Groups = append(cn.Groups, configCheckGroup{VHID: g.VHID, VIPs: prefixList(g.VIPs), Master: g.Master})
			}
			p.Networks = append(p.Networks, cn)
		}
		out = append(out, p)
	}
	return out
}

// nodeGroupDocuments are a node.yaml's groups as -o json shows them.
func nodeGroupDocuments(c *node.Config) []configCheckGroup {
	if c == nil {
		return nil
	}
	var out []configCheckGroup
	for _, g := range c.Groups {
		out = append(out, configCheckGroup{VHID: int(g.VHID), Interface: g.Interface, VIPs: prefixList(g.VIPs)})
	}
	return out
}

// prefixList is ps as strings, for JSON; prefixes joins them for a table.
func prefixList(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
