package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/failover/lab"
)

// flagCase is one command line and what its options must then say; err,
// when set, is the refusal RunE gives before the command's work (runF is
// then not called).
type flagCase[O any] struct {
	name  string
	args  []string
	check func(t *testing.T, o *O, app *App)
	err   string
}

// parseFlags runs args through carpvm's root (its persistent flags) and
// the command newCmd builds, whose runF only captures the options: real
// cobra parsing, no work done, no process started.
func parseFlags[O any](newCmd func(app *App, runF func(context.Context, *O) error) *cobra.Command, args []string) (*O, *App, error) {
	app := &App{IO: IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
	var got *O
	root := rootCommand(app)
	root.AddCommand(newCmd(app, func(_ context.Context, o *O) error {
		got = o
		return nil
	}))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return got, app, err
}

// testFlags runs each case: the options when runF ran, the refusal when
// it must not.
func testFlags[O any](t *testing.T, newCmd func(app *App, runF func(context.Context, *O) error) *cobra.Command, cases []flagCase[O]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, app, err := parseFlags(newCmd, tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || o != nil {
					t.Fatalf("%q: err %v, options %+v; want refused with %q before the command ran", tc.args, err, o, tc.err)
				}
				return
			}
			if err != nil || o == nil {
				t.Fatalf("%q: err %v, options %+v; want the command run", tc.args, err, o)
			}
			tc.check(t, o, app)
		})
	}
}

func want[T comparable](t *testing.T, what string, got, wanted T) {
	t.Helper()
	if got != wanted {
		t.Errorf("%s = %v, want %v", what, got, wanted)
	}
}

func TestNewCmdVersion(t *testing.T) {
	testFlags(t, newVersionCmd, []flagCase[versionOptions]{
		{name: "default", args: []string{"version"}, check: func(t *testing.T, o *versionOptions, _ *App) { want(t, "Output", o.Output, "table") }},
		{name: "json", args: []string{"version", "-o", "json"}, check: func(t *testing.T, o *versionOptions, _ *App) { want(t, "Output", o.Output, "json") }},
		{name: "argument", args: []string{"version", "extra"}, err: "unknown command"},
	})
}

func TestNewCmdRender(t *testing.T) {
	testFlags(t, newRenderCmd, []flagCase[renderOptions]{
		{name: "node", args: []string{"render", "node", "--router", "router-003", "--interface", "intranought=ens192", "--interface", "public=ens224", "--example"},
			check: func(t *testing.T, o *renderOptions, _ *App) {
				want(t, "Target", o.Target, "node")
				want(t, "Router", o.Router, "router-003")
				want(t, "Example", o.Example, true)
				want(t, "Interfaces", strings.Join(o.Interfaces, " "), "intranought=ens192 public=ens224")
			}},
		{name: "fleet pair and secrets", args: []string{"render", "freebsd", "--router", "router-002", "--config", "fleet.yaml", "--pair", "roubaix", "--with-secrets"},
			check: func(t *testing.T, o *renderOptions, app *App) {
				want(t, "WithSecrets", o.WithSecrets, true)
				want(t, "--config", app.configFile, "fleet.yaml")
				want(t, "--pair", app.pair, "roubaix")
			}},
		{name: "no target", args: []string{"render", "--router", "router-002"}, err: "accepts 1 arg"},
		{name: "no router", args: []string{"render", "ucarp", "--example"}, err: "--router is required"},
	})
}

func TestNewCmdExplain(t *testing.T) {
	testFlags(t, newExplainCmd, []flagCase[explainOptions]{
		{name: "files and window", args: []string{"explain", "--config", "carpvm.yaml", "--transitions", "a.jsonl", "--transitions", "-", "--window", "5m", "-o", "markdown"},
			check: func(t *testing.T, o *explainOptions, app *App) {
				want(t, "Transitions", strings.Join(o.Transitions, " "), "a.jsonl -")
				want(t, "Window", o.Window, 5*time.Minute)
				want(t, "Output", o.Output, "markdown")
				want(t, "Sim", o.Sim, false)
				if o.LoadConfig == nil || o.Explain == nil || o.IO.Out != app.IO.Out {
					t.Error("the dependencies are not wired")
				}
			}},
		{name: "sim topology", args: []string{"explain", "--sim", "--topology", "cluster", "--transitions", "t.jsonl"},
			check: func(t *testing.T, o *explainOptions, _ *App) {
				want(t, "Sim", o.Sim, true)
				want(t, "Topology", o.Topology, "cluster")
			}},
		{name: "topology without sim", args: []string{"explain", "--topology", "cluster", "--transitions", "t.jsonl"}, err: "--topology needs --sim"},
		{name: "no transitions", args: []string{"explain", "--sim"}, err: "no --transitions FILE given"},
		{name: "bad output", args: []string{"explain", "--transitions", "t.jsonl", "-o", "yaml"}, err: `-o "yaml": want table, json or markdown`},
		{name: "zero window", args: []string{"explain", "--transitions", "t.jsonl", "--window", "0s"}, err: "want a positive duration"},
	})
}

func TestNewCmdConfigCheck(t *testing.T) {
	check := func(app *App, runF func(context.Context, *configCheckOptions) error) *cobra.Command {
		parent := &cobra.Command{Use: "config"}
		parent.AddCommand(newConfigCheckCmd(app, runF))
		return parent
	}
	testFlags(t, check, []flagCase[configCheckOptions]{
		{name: "json", args: []string{"config", "check", "--config", "node.yaml", "-o", "json"},
			check: func(t *testing.T, o *configCheckOptions, app *App) {
				want(t, "Output", o.Output, "json")
				want(t, "--config", app.configFile, "node.yaml")
			}},
		{name: "pair", args: []string{"config", "check", "--config", "fleet.yaml", "--pair", "paris"},
			check: func(t *testing.T, o *configCheckOptions, app *App) { want(t, "--pair", app.pair, "paris") }},
	})
}

func TestNewCmdSim(t *testing.T) {
	testFlags(t, newSimCmd, []flagCase[simOptions]{
		{name: "defaults", args: []string{"sim"}, check: func(t *testing.T, o *simOptions, _ *App) {
			want(t, "Listen", o.Listen, "127.0.0.1:8989")
			want(t, "Topology", o.Topology, "default")
			want(t, "Role", o.Role, "admin")
			if o.Getenv == nil {
				t.Error("Getenv is not wired")
			}
		}},
		{name: "everything", args: []string{"sim", "--listen", "127.0.0.1:0", "--topology", "teamed", "--role", "readonly", "--inventory-hosts", "100", "--inventory-vms", "2000", "-o", "json", "--credentials-file", "sim.env"},
			check: func(t *testing.T, o *simOptions, _ *App) {
				want(t, "Listen", o.Listen, "127.0.0.1:0")
				want(t, "Topology", o.Topology, "teamed")
				want(t, "Role", o.Role, "readonly")
				want(t, "Inventory.Hosts", o.Inventory.Hosts, 100)
				want(t, "Inventory.VMs", o.Inventory.VMs, 2000)
				want(t, "Output", o.Output, "json")
				want(t, "CredentialsFile", o.CredentialsFile, "sim.env")
			}},
		{name: "bad number", args: []string{"sim", "--inventory-hosts", "many"}, err: "invalid argument"},
		{name: "unknown topology", args: []string{"sim", "--topology", "moon"}, err: `--topology "moon": want one of`},
		{name: "unknown role", args: []string{"sim", "--role", "root"}, err: `--role "root": want one of`},
		{name: "too many hosts", args: []string{"sim", "--inventory-hosts", "2501"}, err: "2501"},
	})
}

func TestNewCmdWatch(t *testing.T) {
	testFlags(t, newWatchCmd, []flagCase[watchOptions]{
		{name: "live", args: []string{"watch", "--interface", "ens192", "--pass-file", "p", "--vip", "1=172.27.27.14", "--vip", "2001:db8::14", "--duration", "10s", "-o", "json", "--promiscuous"},
			check: func(t *testing.T, o *watchOptions, _ *App) {
				want(t, "Interface", o.Interface, "ens192")
				want(t, "PassFile", o.PassFile, "p")
				want(t, "VIPs", strings.Join(o.VIPs, " "), "1=172.27.27.14 2001:db8::14")
				want(t, "Duration", o.Duration, 10*time.Second)
				want(t, "Output", o.Output, "json")
				want(t, "Promiscuous", o.Promiscuous, true)
			}},
		{name: "neither interface nor capture", args: []string{"watch", "--duration", "1s"}, err: "--interface (listen) or --read"},
		{name: "interface and capture", args: []string{"watch", "--interface", "eth0", "--read", "c.pcap"}, err: "exclude each other"},
		{name: "capture with a duration", args: []string{"watch", "--read", "c.pcap", "--duration", "1s"}, err: "--duration is for --interface"},
		{name: "negative duration", args: []string{"watch", "--interface", "eth0", "--duration", "-1s"}, err: "want a positive duration"},
		{name: "replay with a fleet", args: []string{"watch", "--read", "c.pcap", "--config", "fleet.yaml", "--pair", "roubaix", "--network", "intranought", "--transitions", "w.jsonl"},
			check: func(t *testing.T, o *watchOptions, app *App) {
				want(t, "Read", o.Read, "c.pcap")
				want(t, "Network", o.Network, "intranought")
				want(t, "Transitions", o.Transitions, "w.jsonl")
				want(t, "--pair", app.pair, "roubaix")
			}},
	})
}

func TestNewCmdDrill(t *testing.T) {
	testFlags(t, newDrillCmd, []flagCase[drillOptions]{
		{name: "lab stun", args: []string{"drill", "--lab", "--lab-prefix", "x", "--trigger", "stun", "--duration", "10s"},
			check: func(t *testing.T, o *drillOptions, _ *App) {
				want(t, "Lab", o.Lab, true)
				want(t, "LabPrefix", o.LabPrefix, "x")
				want(t, "LabStateDir", o.LabStateDir, lab.DefaultStateDir)
				want(t, "Trigger", o.Trigger, "stun")
				want(t, "Stun", o.Stun, 10*time.Second)
				want(t, "StunSet", o.StunSet, true)
			}},
		{name: "vsphere fleet", args: []string{"drill", "--config", "fleet.yaml", "--trigger", "demote", "--interface", "paris=ens224,roubaix=ens256",
			"--command", "ssh demote", "--restore-command", "ssh promote", "--max-takeover", "3s", "--max-blackout", "4s", "--deadline", "20s",
			"--history", "h", "--metrics-file", "m.prom", "--report", "r.md", "--force", "-o", "json"},
			check: func(t *testing.T, o *drillOptions, app *App) {
				want(t, "Interfaces", strings.Join(o.Interfaces, " "), "paris=ens224 roubaix=ens256")
				want(t, "Command", o.Command, "ssh demote")
				want(t, "RestoreCommand", o.RestoreCommand, "ssh promote")
				want(t, "MaxTakeover", o.MaxTakeover, 3*time.Second)
				want(t, "MaxBlackout", o.MaxBlackout, 4*time.Second)
				want(t, "Deadline", o.Deadline, 20*time.Second)
				want(t, "History", o.History, "h")
				want(t, "MetricsFile", o.MetricsFile, "m.prom")
				want(t, "Report", o.Report, "r.md")
				want(t, "Force", o.Force, true)
				want(t, "Output", o.Output, "json")
				want(t, "StunSet", o.StunSet, false)
				want(t, "--config", app.configFile, "fleet.yaml")
			}},
		{name: "sim dry run", args: []string{"drill", "--sim", "--topology", "dvs", "--pair", "roubaix", "--network", "public", "--no-history", "--dry-run"},
			check: func(t *testing.T, o *drillOptions, app *App) {
				want(t, "Sim", o.Sim, true)
				want(t, "Topology", o.Topology, "dvs")
				want(t, "Network", o.Network, "public")
				want(t, "NoHistory", o.NoHistory, true)
				want(t, "DryRun", o.DryRun, true)
				want(t, "--pair", app.pair, "roubaix")
			}},
		{name: "unknown trigger", args: []string{"drill", "--lab", "--trigger", "unplug"}, err: `trigger "unplug": want one of`},
		{name: "negative objective", args: []string{"drill", "--lab", "--max-blackout", "-1s"}, err: "--max-blackout -1s: want a positive duration"},
		{name: "duration without stun", args: []string{"drill", "--lab", "--duration", "5s"}, err: "--duration is for --trigger stun"},
		{name: "bad output", args: []string{"drill", "--lab", "-o", "yaml"}, err: "yaml"},
		{name: "no witness", args: []string{"drill", "--config", "c.yaml", "--no-witness"},
			check: func(t *testing.T, o *drillOptions, _ *App) {
				want(t, "NoWitness", o.NoWitness, true)
				want(t, "Trigger", o.Trigger, "nic-disconnect")
			}},
	})
}

func TestNewCmdLabUp(t *testing.T) {
	up := func(app *App, runF func(context.Context, *labUpOptions) error) *cobra.Command {
		return newLabCmdWith(app, labRuns{up: runF})
	}
	testFlags(t, up, []flagCase[labUpOptions]{
		{name: "defaults", args: []string{"lab", "up"}, check: func(t *testing.T, o *labUpOptions, _ *App) {
			want(t, "Prefix", o.Lab.Prefix, lab.DefaultPrefix)
			want(t, "StateDir", o.Lab.StateDir, lab.DefaultStateDir)
			want(t, "Peer", o.Peer, lab.PeerCarpvm)
			want(t, "Mode", o.Mode, lab.ModeMulticast)
			want(t, "AdvBase", o.AdvBase, lab.DefaultAdvBase)
		}},
		{name: "everything", args: []string{"lab", "--prefix", "seams", "up", "--state-dir", "/tmp/s", "--peer", "keepalived", "--mode", "unicast",
			"--advbase", "0", "--active-active", "--topology", "teamed", "-o", "json"},
			check: func(t *testing.T, o *labUpOptions, _ *App) {
				want(t, "Prefix", o.Lab.Prefix, "seams")
				want(t, "StateDir", o.Lab.StateDir, "/tmp/s")
				want(t, "Peer", o.Peer, "keepalived")
				want(t, "Mode", o.Mode, "unicast")
				want(t, "AdvBase", o.AdvBase, 0)
				want(t, "ActiveActive", o.ActiveActive, true)
				want(t, "Switch.Topology", o.Switch.Topology, "teamed")
				want(t, "Output", o.Output, "json")
			}},
		{name: "facts", args: []string{"lab", "up", "--facts", "f.json"}, check: func(t *testing.T, o *labUpOptions, _ *App) {
			want(t, "Switch.Facts", o.Switch.Facts, "f.json")
		}},
	})
}

func TestNewCmdNodeRun(t *testing.T) {
	testFlags(t, nodeCommand(newNodeRunCmd), []flagCase[nodeRunOptions]{
		{name: "group flags", args: []string{"node", "run", "--interface", "ens192", "--vhid", "1", "--vip", "172.27.27.14/28", "--vip", "2001:db8::14/64",
			"--pass-file", "p", "--advbase", "0", "--advskew", "100", "--preempt", "--no-vmac", "--up-script", "up", "--down-script", "down", "--xparam", "x",
			"--preempt-delay", "30s", "--no-link-tracking", "--carpver", "3", "--vrrpprio", "200", "--vrrpinterval", "50", "--peer", "172.27.27.12"},
			check: func(t *testing.T, o *nodeRunOptions, _ *App) {
				want(t, "Interface", o.Interface, "ens192")
				want(t, "VHID", o.VHID, 1)
				want(t, "VIPs", strings.Join(o.VIPs, " "), "172.27.27.14/28 2001:db8::14/64")
				want(t, "AdvBase", o.AdvBase, 0)
				want(t, "AdvSkew", o.AdvSkew, 100)
				want(t, "Preempt", o.Preempt, true)
				want(t, "NoVMAC", o.NoVMAC, true)
				want(t, "UpScript", o.UpScript+" "+o.DownScript+" "+o.XParam, "up down x")
				want(t, "PreemptDelay", o.PreemptDelay, 30*time.Second)
				want(t, "NoLinkTrack", o.NoLinkTrack, true)
				want(t, "Protocol.CarpVer", o.Protocol.CarpVer, 3)
				want(t, "Protocol.VRRPPrio", o.Protocol.VRRPPrio, 200)
				want(t, "Protocol.VRRPInterval", o.Protocol.VRRPInterval, 50)
				want(t, "Protocol.Peer", o.Protocol.Peer, "172.27.27.12")
				want(t, "ConfigFile", o.ConfigFile, "")
			}},
		{name: "config with overrides", args: []string{"node", "run", "--config", "node.yaml", "--vhid", "2", "--metrics-listen", "127.0.0.1:9380", "--transition-log", "t.jsonl", "--state-dir", "s"},
			check: func(t *testing.T, o *nodeRunOptions, _ *App) {
				want(t, "ConfigFile", o.ConfigFile, "node.yaml")
				if !slices.Equal(o.GroupFlagsGiven, []string{"--vhid"}) {
					t.Errorf("GroupFlagsGiven = %q, want --vhid", o.GroupFlagsGiven)
				}
				want(t, "Overrides", o.Overrides, nodeRunOverrides{MetricsListen: true, TransitionLog: true})
				want(t, "MetricsListen", o.MetricsListen, "127.0.0.1:9380")
				want(t, "StateDir", o.StateDir, "s")
			}},
	})
}

func TestNewCmdPreflight(t *testing.T) {
	testFlags(t, newPreflightCmd, []flagCase[preflightOptions]{
		{name: "sim checks", args: []string{"preflight", "--sim", "--topology", "teamed", "--check", "security.promiscuous,host.reverse_path_promisc", "--strict", "-o", "json", "--inventory-hosts", "3"},
			check: func(t *testing.T, o *preflightOptions, _ *App) {
				want(t, "Sim", o.Sim, true)
				want(t, "Topology", o.Topology, "teamed")
				want(t, "Checks", strings.Join(o.Checks, " "), "security.promiscuous host.reverse_path_promisc")
				want(t, "Strict", o.Strict, true)
				want(t, "Output", o.Output, "json")
				want(t, "Inventory.Hosts", o.Inventory.Hosts, 3)
				want(t, "Fix", o.Fix, false)
				if o.LoadConfig == nil || o.LoadPairs == nil || o.Gather == nil {
					t.Error("the dependencies are not wired")
				}
			}},
		{name: "fix", args: []string{"preflight", "--config", "fleet.yaml", "--pair", "paris", "--fix", "--yes", "--backup", "b.json", "--scope", "vswitch",
			"--dvs-mode", "mac-learning", "--mandatory", "--relocate", "--set-vmac", "--save-facts", "f.json"},
			check: func(t *testing.T, o *preflightOptions, _ *App) {
				want(t, "Fix", o.Fix, true)
				want(t, "Pair", o.Pair, "paris")
				want(t, "SaveFacts", o.SaveFacts, "f.json")
				f := o.FixFlags
				want(t, "FixFlags", [7]string{f.Backup, f.Scope, f.DVSMode}, [7]string{"b.json", "vswitch", "mac-learning"})
				want(t, "FixFlags switches", [4]bool{f.Yes, f.Mandatory, f.Relocate, f.SetVMAC}, [4]bool{true, true, true, true})
			}},
		{name: "fix flag without fix", args: []string{"preflight", "--sim", "--yes"}, err: "--yes needs --fix"},
		{name: "check with fix", args: []string{"preflight", "--sim", "--fix", "--check", "security.promiscuous"}, err: "--check does not go with --fix"},
		{name: "topology without sim", args: []string{"preflight", "--topology", "teamed"}, err: "--topology needs --sim"},
		{name: "inventory without sim", args: []string{"preflight", "--inventory-vms", "5"}, err: "need --sim"},
	})
}

func TestNewCmdAudit(t *testing.T) {
	testFlags(t, newAuditCmd, []flagCase[auditOptions]{
		{name: "markdown", args: []string{"audit", "--sim", "--topology", "portgroup-overrides", "-o", "markdown", "--date", "2026-12-08"},
			check: func(t *testing.T, o *auditOptions, _ *App) {
				want(t, "Sim", o.Sim, true)
				want(t, "Topology", o.Topology, "portgroup-overrides")
				want(t, "Output", o.Output, "markdown")
				want(t, "Date", o.Date, "2026-12-08")
				if o.LoadPairs == nil || o.Audit == nil || o.Log == nil {
					t.Error("the dependencies are not wired")
				}
			}},
		{name: "fix", args: []string{"audit", "--config", "fleet.yaml", "--pair", "paris", "--fix", "--yes", "--backup", "b.json"},
			check: func(t *testing.T, o *auditOptions, _ *App) {
				want(t, "Pair", o.Pair, "paris")
				want(t, "Fix", o.Fix, true)
				want(t, "Yes", o.Yes, true)
				want(t, "Backup", o.Backup, "b.json")
			}},
		{name: "yes without fix", args: []string{"audit", "--sim", "--yes"}, err: "need --fix"},
		{name: "topology without sim", args: []string{"audit", "--topology", "dvs"}, err: "--topology needs --sim"},
	})
}

// under puts the command newCmd builds under a parent command named use,
// as the tree has it.
func under[O any](use string, newCmd func(*App, func(context.Context, *O) error) *cobra.Command) func(*App, func(context.Context, *O) error) *cobra.Command {
	return func(app *App, runF func(context.Context, *O) error) *cobra.Command {
		parent := &cobra.Command{Use: use}
		parent.AddCommand(newCmd(app, runF))
		return parent
	}
}

// nodeCommand is a node subcommand under carpvm node.
func nodeCommand[O any](newCmd func(*App, func(context.Context, *O) error) *cobra.Command) func(*App, func(context.Context, *O) error) *cobra.Command {
	return under("node", newCmd)
}

func TestNewCmdNodeCleanup(t *testing.T) {
	testFlags(t, nodeCommand(newNodeCleanupCmd), []flagCase[nodeCleanupOptions]{
		{name: "flags", args: []string{"node", "cleanup", "--interface", "ens192", "--vhid", "1", "--vip", "172.27.27.14/28", "--no-vmac", "--carpver", "3"},
			check: func(t *testing.T, o *nodeCleanupOptions, _ *App) {
				want(t, "Interface", o.Interface, "ens192")
				want(t, "VHID", o.VHID, 1)
				want(t, "VIPs", strings.Join(o.VIPs, " "), "172.27.27.14/28")
				want(t, "NoVMAC", o.NoVMAC, true)
				want(t, "CarpVer", o.CarpVer, 3)
				want(t, "GroupFlagGiven", o.GroupFlagGiven, "--interface")
			}},
		{name: "config", args: []string{"node", "cleanup", "--config", "node.yaml"},
			check: func(t *testing.T, o *nodeCleanupOptions, _ *App) {
				want(t, "ConfigFile", o.ConfigFile, "node.yaml")
				want(t, "GroupFlagGiven", o.GroupFlagGiven, "")
			}},
	})
}

func TestNewCmdNodeStatusAndDemote(t *testing.T) {
	testFlags(t, nodeCommand(newNodeStatusCmd), []flagCase[nodeStatusOptions]{
		{name: "status", args: []string{"node", "status", "--control-socket", "/run/x.sock", "--run-dir", "/run/y", "-o", "json"},
			check: func(t *testing.T, o *nodeStatusOptions, _ *App) {
				want(t, "ControlSocket", o.ControlSocket, "/run/x.sock")
				want(t, "RunDir", o.RunDir, "/run/y")
				want(t, "Output", o.Output, "json")
			}},
	})
	demote := func(app *App, runF func(context.Context, *nodeDemoteOptions) error) *cobra.Command {
		parent := &cobra.Command{Use: "node"}
		parent.AddCommand(newNodeDemoteCmd(app, "demote", runF), newNodeDemoteCmd(app, "promote", runF))
		return parent
	}
	testFlags(t, demote, []flagCase[nodeDemoteOptions]{
		{name: "demote", args: []string{"node", "demote", "--vhid", "7", "--demotion", "20"},
			check: func(t *testing.T, o *nodeDemoteOptions, _ *App) {
				want(t, "Command", o.Command, "demote")
				want(t, "VHID", o.VHID, 7)
				want(t, "Demotion", o.Demotion, 20)
			}},
		{name: "promote", args: []string{"node", "promote"}, check: func(t *testing.T, o *nodeDemoteOptions, _ *App) {
			want(t, "Command", o.Command, "promote")
			want(t, "VHID", o.VHID, 0)
		}},
		{name: "promote has no demotion", args: []string{"node", "promote", "--demotion", "3"}, err: "unknown flag"},
		{name: "vhid out of range", args: []string{"node", "demote", "--vhid", "256"}, err: "--vhid 256: want 1..255"},
		{name: "demotion out of range", args: []string{"node", "demote", "--demotion", "-1"}, err: "--demotion -1"},
		{name: "bad output", args: []string{"node", "demote", "-o", "yaml"}, err: "yaml"},
	})
}

func TestNewCmdLabDownAndStatus(t *testing.T) {
	down := func(app *App, runF func(context.Context, *labOptions) error) *cobra.Command {
		return newLabCmdWith(app, labRuns{down: runF})
	}
	testFlags(t, down, []flagCase[labOptions]{
		{name: "prefix", args: []string{"lab", "--prefix", "seams", "--state-dir", "/tmp/s", "down"},
			check: func(t *testing.T, o *labOptions, _ *App) {
				want(t, "Prefix", o.Prefix, "seams")
				want(t, "StateDir", o.StateDir, "/tmp/s")
			}},
	})
	status := func(app *App, runF func(context.Context, *labStatusOptions) error) *cobra.Command {
		return newLabCmdWith(app, labRuns{status: runF})
	}
	testFlags(t, status, []flagCase[labStatusOptions]{
		{name: "json", args: []string{"lab", "status", "--prefix", "seams", "-o", "json", "--history", "h"},
			check: func(t *testing.T, o *labStatusOptions, _ *App) {
				want(t, "Prefix", o.Lab.Prefix, "seams")
				want(t, "Output", o.Output, "json")
				want(t, "History", o.History, "h")
			}},
	})
}

func TestNewCmdDrillHistoryAndRestore(t *testing.T) {
	testFlags(t, under("drill", newDrillHistoryCmd), []flagCase[drillHistoryOptions]{
		{name: "report", args: []string{"drill", "history", "--history", "h", "--pair", "routers", "--report", "d.md", "-o", "json"},
			check: func(t *testing.T, o *drillHistoryOptions, _ *App) {
				want(t, "options", *o, drillHistoryOptions{History: "h", Pair: "routers", Report: "d.md", Output: "json"})
			}},
	})
	testFlags(t, under("drill", newDrillRestoreCmd), []flagCase[drillRestoreOptions]{
		{name: "fleet pair", args: []string{"drill", "restore", "--config", "fleet.yaml", "--pair", "roubaix", "--history", "h"},
			check: func(t *testing.T, o *drillRestoreOptions, app *App) {
				want(t, "History", o.History, "h")
				want(t, "--pair", app.pair, "roubaix")
				want(t, "Lab", o.Lab, false)
			}},
		{name: "lab", args: []string{"drill", "restore", "--lab", "--lab-prefix", "seams", "--lab-state-dir", "/tmp/s"},
			check: func(t *testing.T, o *drillRestoreOptions, _ *App) {
				want(t, "options", *o, drillRestoreOptions{Lab: true, LabPrefix: "seams", LabStateDir: "/tmp/s"})
			}},
	})
}

func TestNewCmdPreflightRollback(t *testing.T) {
	testFlags(t, under("preflight", newPreflightRollbackCmd), []flagCase[rollbackOptions]{
		{name: "force json", args: []string{"preflight", "rollback", "backup.json", "--force", "-o", "json", "--config", "fleet.yaml", "--pair", "paris"},
			check: func(t *testing.T, o *rollbackOptions, app *App) {
				want(t, "File", o.File, "backup.json")
				want(t, "Force", o.Force, true)
				want(t, "Output", o.Output, "json")
				want(t, "--pair", app.pair, "paris")
				if o.Connect == nil || o.LoadVSphere == nil || o.Getenv == nil {
					t.Error("the dependencies are not wired")
				}
			}},
		{name: "no file", args: []string{"preflight", "rollback"}, err: "accepts 1 arg"},
	})
}
