package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/statepaths"
	"github.com/carpvm/carpvm/workflow"
)

// simOptions are the dependencies and flags of `carpvm sim`.
type simOptions struct {
	IO       IOStreams
	Getenv   config.Getenv
	Listen   string
	Topology string
	// Inventory grows the topology (--inventory-hosts, --inventory-vms).
	Inventory workflow.Inventory
	// Role is the simulated user's role (sim.RoleNames).
	Role   string
	Output string
	// CredentialsFile receives the login as GOVC_* lines (0600), removed
	// when the simulator stops; -o json writes one in the state directory
	// when it is not given.
	CredentialsFile string
}

// simDocument is the -o json output of carpvm sim: how to reach the
// simulator, never its password (that is in the credentials file).
type simDocument struct {
	URL             string `json:"url"`
	Topology        string `json:"topology"`
	Datacenter      string `json:"datacenter"`
	Username        string `json:"username"`
	Thumbprint      string `json:"thumbprint"`
	CredentialsFile string `json:"credentials_file,omitempty"`
}

// newSimCmd is carpvm sim; runF (nil: simRun) gets its options.
func newSimCmd(app *App, runF func(context.Context, *simOptions) error) *cobra.Command {
	opts := &simOptions{}
	if runF == nil {
		runF = simRun
	}
	cmd := &cobra.Command{
		Use: "sim",
		Example: `  carpvm sim --listen 127.0.0.1:8989
  carpvm sim --listen 127.0.0.1:8989 --topology cluster-anti-affinity
  carpvm sim --listen 127.0.0.1:0 -o json
  carpvm sim --listen 127.0.0.1:8989 --inventory-hosts 2500 --inventory-vms 40000`,
		Short: "Serve a simulated vCenter holding the typical CARP router pair, for any vSphere client",
		Long: `carpvm sim serves a simulated vCenter (govmomi's vcsim, extended where carpvm
needs ESXi's behaviour) holding a CARP router pair's inventory, until
interrupted. It prints the URL, a throwaway username and password, the TLS
certificate's thumbprint, a govc example and a carpvm.yaml to point
carpvm preflight --config at it.

With -o json it prints one document (url, topology, datacenter, username,
thumbprint, credentials_file) and never the password: the login is written
as GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD and GOVC_TLS_CA_CERTS lines to
--credentials-file (default $XDG_STATE_HOME/carpvm/sim/HOST_PORT.env), mode
0600, the certificate GOVC_TLS_CA_CERTS names beside it (HOST_PORT.pem);
both are removed when the simulator stops.

--inventory-hosts and --inventory-vms grow any topology to a large
vCenter's size (vCenter 8 manages at most 2,500 hosts and 40,000 powered-on
VMs): the hosts in DRS clusters of at most 64 under one distributed switch,
the VMs spread over them, every 100th with a NIC on one of the routers'
portgroups. The pair's own objects stay as they are.

` + strings.Join(wrapCommandLine("Topologies: "+strings.Join(workflow.Topologies(), ", ")+".", 78, ""), "\n"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Getenv = app.IO, app.Getenv
			if err := opts.check(); err != nil {
				return err
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:8989", "address to serve on (HOST:PORT; port 0 picks a free one)")
	cmd.Flags().StringVar(&opts.Topology, "topology", "default", "simulated inventory: "+strings.Join(workflow.Topologies(), ", "))
	completeFlag(cmd, "topology", completeValues(workflow.Topologies))
	addInventoryFlags(cmd, &opts.Inventory, "")
	cmd.Flags().StringVar(&opts.Role, "role", "admin", "the simulated user's role: "+strings.Join(workflow.SimulatorRoles(), ", ")+" (docs/privileges.md)")
	completeFlag(cmd, "role", completeValues(workflow.SimulatorRoles))
	outputFlag(cmd, &opts.Output)
	cmd.Flags().StringVar(&opts.CredentialsFile, "credentials-file", "", "write the login as GOVC_* lines here (0600; removed on exit); default with -o json: $XDG_STATE_HOME/carpvm/sim/HOST_PORT.env")
	return cmd
}

// check refuses flag values the simulator does not serve.
func (opts *simOptions) check() error {
	if err := checkOutput("sim", opts.Output); err != nil {
		return err
	}
	if !workflow.IsTopology(opts.Topology) {
		return usageError("--topology %q: want one of %s", opts.Topology, strings.Join(workflow.Topologies(), ", "))
	}
	if !workflow.IsSimulatorRole(opts.Role) {
		return usageError("--role %q: want one of %s", opts.Role, strings.Join(workflow.SimulatorRoles(), ", "))
	}
	return checkInventory(opts.Inventory)
}

// simRun serves the topology until ctx is done.
func simRun(ctx context.Context, opts *simOptions) error {
	if opts.Inventory.Hosts > 0 {
		opts.IO.progress("carpvm sim: building %d more hosts and %d more VMs", opts.Inventory.Hosts, opts.Inventory.VMs)
	}
	srv, err := workflow.StartSimulator(ctx, opts.Topology, opts.Inventory, opts.Listen, opts.Role)
	if err != nil {
		return err // exitCodeOf: a malformed --listen is usage, one in use the machine's
	}
	defer srv.Close()
	doc := simDocument{URL: srv.URL, Topology: opts.Topology, Datacenter: srv.Topology.Datacenter, Username: srv.Username, Thumbprint: srv.Thumbprint}
	if doc.CredentialsFile, err = opts.credentialsPath(srv.URL); err != nil {
		return err
	}
	if doc.CredentialsFile != "" {
		defer os.Remove(workflow.SimulatorCertificatePath(doc.CredentialsFile))
		defer os.Remove(doc.CredentialsFile)
		if err := srv.WriteCredentials(doc.CredentialsFile); err != nil {
			return fmt.Errorf("%w (--credentials-file)", err) // a file: exitCodeOf's 5
		}
	}
	if opts.Output == "json" {
		err = writeDocument(opts.IO.Out, "sim", doc)
	} else {
		writeSimInfo(opts.IO.Out, opts.Topology, srv)
	}
	if err != nil {
		return err
	}
	opts.IO.progress("carpvm sim: serving until interrupted (Ctrl-C)")
	<-ctx.Done()
	opts.IO.progress("carpvm sim: stopped")
	return nil
}

// credentialsPath is where the login goes: --credentials-file, else with
// -o json STATE/sim/HOST_PORT.env, else nowhere ("").
func (o *simOptions) credentialsPath(url string) (string, error) {
	if o.CredentialsFile != "" || o.Output != "json" {
		return o.CredentialsFile, nil
	}
	path, err := statepaths.SimCredentials(o.Getenv, workflow.TargetID(url))
	if err != nil {
		return "", usageError("sim: %v; pass --credentials-file FILE", err)
	}
	return path, nil
}

// writeSimInfo prints how to reach the simulator. The password is a
// throwaway credential of this run of the simulator, not a secret: printing
// it is what makes the simulator usable by other clients.
func writeSimInfo(w io.Writer, topology string, srv *workflow.Simulator) {
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
