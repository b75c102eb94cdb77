package main

import (
	"context"
	"fmt"
	"github.com/carpvm/carpvm/workflow"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// simOptions are the dependencies and flags of `carpvm sim`.
type simOptions struct {
	IO       IOStreams
	Listen   string
	Topology string
}

func newSimCmd(app *App) *cobra.Command {
	opts := &simOptions{}
	cmd := &cobra.Command{
		Use: "sim",
		Example: `  carpvm sim --listen 127.0.0.1:8989
  carpvm sim --listen 127.0.0.1:8989 --topology cluster-anti-affinity`,
		Short: "Serve a simulated vCenter holding the typical CARP router pair, for any vSphere client",
		Long: `carpvm sim serves a simulated vCenter (govmomi's vcsim, extended where carpvm
needs ESXi's behaviour) holding a CARP router pair's inventory, until
interrupted. It prints the URL, a throwaway username and password, the TLS
certificate's thumbprint, a govc example and a carpvm.yaml to point
carpvm preflight --config at it.

Topologies: ` + strings.Join(workflow.Topologies(), ", ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = app.IO
			return simRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:8989", "address to serve on (HOST:PORT; port 0 picks a free one)")
	cmd.Flags().StringVar(&opts.Topology, "topology", "default", "simulated inventory: "+strings.Join(workflow.Topologies(), ", "))
	completeFlag(cmd, "topology", completeValues(workflow.Topologies))
	return cmd
}

// simRun serves the topology until ctx is done.
func simRun(ctx context.Context, opts *simOptions) error {
	build, ok := sim.Topologies()[opts.Topology]
	if !ok {
		return usageError("--topology %q: want one of %s", opts.Topology, strings.Join(workflow.Topologies(), ", "))
	}
	srv, err := sim.Start(ctx, build(), opts.Listen)
	if err != nil {
		return withExit(exitUsage, err)
	}
	defer srv.Close()
	printSimInfo(opts.IO.Out, opts.Topology, srv)
	fmt.Fprintln(opts.IO.ErrOut, "carpvm sim: serving until interrupted (Ctrl-C)")
	<-ctx.Done()
	fmt.Fprintln(opts.IO.ErrOut, "carpvm sim: stopped")
	return nil
}

// printSimInfo prints how to reach the simulator. The password is a
// throwaway credential of this run of the simulator, not a secret: printing
// it is what makes the simulator usable by other clients.
func printSimInfo(w io.Writer, topology string, srv *sim.Server) {
	pw := srv.Password.Reveal()
	fmt.Fprintf(w, "carpvm simulator: topology %s\n", topology)
	fmt.Fprintf(w, "URL:        %s\n", srv.URL)
	fmt.Fprintf(w, "Username:   %s\n", srv.Username)
	fmt.Fprintf(w, "Password:   %s   (throwaway credential of this simulator run)\n", pw)
	fmt.Fprintf(w, "Thumbprint: %s   (SHA-1 of its self-signed TLS certificate)\n", srv.Thumbprint)
	fmt.Fprintf(w, "\nTry it with govc:\n  GOVC_URL=%s GOVC_USERNAME=%s GOVC_PASSWORD=%s GOVC_INSECURE=true govc ls /%s/vm\n",
		srv.URL, srv.Username, pw, srv.Topology.Datacenter)
	fmt.Fprintf(w, "\nOr with carpvm: save this as carpvm.yaml and run\n  CARPVM_VSPHERE_PASSWORD=%s carpvm preflight --config carpvm.yaml\n\n", pw)
	fmt.Fprintf(w, "vsphere:\n  url: %s\n  username: %s\n  thumbprint: %q\n%s", srv.URL, srv.Username, srv.Thumbprint, config.SimulatorYAML)
}
