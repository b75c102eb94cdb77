package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/failover/vsphereenv"
)

// OptionError is a command's options refused before anything was opened
// or touched: contradictory flags, or a target that cannot be what was
// asked (no lab up, a network the pair lacks).
type OptionError struct{ Err error }

func (e *OptionError) Error() string { return e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

func optionError(format string, args ...any) error {
	return &OptionError{Err: fmt.Errorf(format, args...)}
}

// DrillTargetOptions are what chooses a drill's target: the lab, the
// configuration's pair (or every pair of a fleet) on vSphere, or the
// embedded simulator; and what the target needs (the witness's
// interface, a demote command).
type DrillTargetOptions struct {
	Lab         bool
	LabPrefix   string
	LabStateDir string
	// Sim drills the embedded simulator of Topology, unwitnessed.
	Sim      bool
	Topology string
	// NoWitness drills a vCenter without a witness.
	NoWitness bool
	// ConfigFlag says --config was given, ConfigEnv that its environment
	// variable names a configuration (which --lab ignores); LoadPairs
	// loads it (the built-in simulator's when sim and none was named);
	// Pair selects one pair of a fleet.
	ConfigFlag bool
	ConfigEnv  bool
	LoadPairs  func(sim bool) ([]*config.Config, error)
	Pair       string
	// Network drills only this network ("" every one in turn).
	Network        string
	Trigger        failover.Trigger
	Command        string
	RestoreCommand string
	// Interfaces are the witness's interfaces: IF, or PAIR=IF in a fleet.
	Interfaces []string
	// MetricsFile and History are only checked: a drill that measures
	// nothing (--sim, --no-witness) has none.
	MetricsFile string
	History     string
	// DryRun opens nothing: the target is only planned.
	DryRun   bool
	Progress Progress
}

// DrillTarget is one pair to drill: its Env, the networks drilled, and
// the ownership map the witness checks. Close releases it (logs out,
// stops the simulator).
type DrillTarget struct {
	Env      failover.Env
	Networks []failover.Network
	Owned    []failover.Network
	Close    func()
}

// DrillFleetTarget is every pair of a fleet to drill (pairs: without
// Pair), each with its witness's interface and networks, checked before
// the first pair is drilled; DrillFleet opens their sessions.
type DrillFleetTarget struct {
	Pairs []*config.Config
	// Topology is the simulator's, "" for the pairs' own vCenters.
	Topology   string
	Interfaces map[string]string
	Networks   map[string][]failover.Network
	opts       DrillTargetOptions
}

// Env is cfg's drill environment before it is wired to a session.
func (f *DrillFleetTarget) Env(cfg *config.Config) *vsphereenv.Env {
	return f.opts.env(cfg, f.Interfaces[cfg.Pair.Name])
}

// Unwitnessed names the pairs with no witness interface.
func (f *DrillFleetTarget) Unwitnessed() []string {
	var out []string
	for _, cfg := range f.Pairs {
		if f.Interfaces[cfg.Pair.Name] == "" {
			out = append(out, cfg.Pair.Name)
		}
	}
	return out
}

// ChooseDrill checks o and returns what it drills: one pair (opened,
// unless DryRun) or, for a fleet without Pair, every pair (fleet non-nil,
// pair nil; not opened). Contradictory options are an *OptionError.
func ChooseDrill(ctx context.Context, o DrillTargetOptions) (pair *DrillTarget, fleet *DrillFleetTarget, err error) {
	if err := o.checkTarget(); err != nil {
		return nil, nil, err
	}
	if o.Lab {
		pair, err = o.labTarget()
		return pair, nil, err
	}
	topology, err := o.vsphereTopology()
	if err != nil {
		return nil, nil, err
	}
	pairs, err := o.LoadPairs(o.Sim)
	if err != nil {
		return nil, nil, err
	}
	if len(pairs) > 1 && o.Pair == "" {
		fleet, err = o.fleetTarget(pairs, topology)
		return nil, fleet, err
	}
	cfg, err := config.SelectPair(pairs, o.Pair)
	if err != nil {
		return nil, nil, err
	}
	pair, err = o.vsphereTarget(ctx, cfg, topology)
	return pair, nil, err
}

// checkTarget refuses options naming no target, or two.
func (o DrillTargetOptions) checkTarget() error {
	switch {
	case !o.Lab && !o.Sim && !o.ConfigFlag && !o.ConfigEnv:
		return optionError("drill: want --lab, or --config carpvm.yaml for the pair on vSphere, or --sim for the simulator")
	case o.Lab && o.ConfigFlag:
		return optionError("drill: --lab and --config are exclusive")
	case o.Lab && o.Sim:
		return optionError("drill: --lab and --sim are exclusive")
	case o.Lab && o.Pair != "":
		return optionError("drill: --pair selects a pair of --config; the lab is one pair (--lab-prefix)")
	}
	return nil
}

func (o DrillTargetOptions) labTarget() (*DrillTarget, error) {
	if len(o.Interfaces) > 0 || o.Command != "" || o.NoWitness {
		return nil, optionError("drill: --interface, --command and --no-witness are for vSphere; the lab's witness runs in its client namespace")
	}
	l, err := lab.Open(lab.Options{Prefix: o.LabPrefix, StateDir: o.LabStateDir}, nil)
	if err != nil {
		return nil, &OptionError{Err: err}
	}
	nets, err := l.Networks(o.Network)
	if err != nil {
		return nil, &OptionError{Err: err}
	}
	all, err := l.Networks("")
	if err != nil {
		return nil, &OptionError{Err: err}
	}
	return &DrillTarget{Env: &lab.Env{Lab: l}, Networks: nets, Owned: all, Close: func() {}}, nil
}

// vsphereTopology checks the options of a drill on vSphere (or the
// simulator) and returns the simulator's topology, "" for a real vCenter.
func (o DrillTargetOptions) vsphereTopology() (string, error) {
	topology, err := o.simTopology()
	if err != nil {
		return "", err
	}
	if o.Trigger == failover.TriggerPartition {
		return "", optionError("drill: --trigger partition is a lab trigger (it cuts the routers from each other); on vSphere use nic-disconnect, power-off or demote")
	}
	if o.Trigger == failover.TriggerDemote && o.Command == "" {
		return "", optionError("drill: --trigger demote on vSphere needs --command (e.g. an ssh running `ifconfig vmx0 vhid 1 state backup`)")
	}
	return topology, nil
}

// simTopology checks the simulator's options and returns the topology to
// start, "" without Sim.
func (o DrillTargetOptions) simTopology() (string, error) {
	if !o.Sim {
		if o.Topology != "" && o.Topology != "default" {
			return "", optionError("drill --topology needs --sim")
		}
		return "", o.checkNoWitness()
	}
	if o.NoWitness {
		return "", optionError("drill --sim --no-witness: --sim has no witness already; --no-witness is for a vCenter (--config)")
	}
	if !slices.Contains(Topologies(), o.Topology) {
		return "", optionError("drill --topology %q: want one of %s", o.Topology, strings.Join(Topologies(), ", "))
	}
	if err := failover.CheckUnwitnessed(o.Trigger); err != nil {
		return "", optionError("drill --sim: %v", err)
	}
	for _, f := range []struct {
		flag string
		set  bool
	}{{"--interface", len(o.Interfaces) > 0}, {"--command", o.Command != ""}, {"--metrics-file", o.MetricsFile != ""}, {"--history", o.History != ""}} {
		if f.set {
			return "", optionError("drill --sim: %s does not apply: the simulator has no CARP segment to watch, and a drill that measured no takeover is not recorded", f.flag)
		}
	}
	return o.Topology, nil
}

// checkNoWitness checks the options of a drill of a vCenter without a
// witness: a trigger vSphere can read back, and nothing that only a
// measured drill has.
func (o DrillTargetOptions) checkNoWitness() error {
	if !o.NoWitness {
		return nil
	}
	if err := failover.CheckUnwitnessed(o.Trigger); err != nil {
		return optionError("drill --no-witness: %v", err)
	}
	for _, f := range []struct {
		flag string
		set  bool
	}{{"--interface", len(o.Interfaces) > 0}, {"--metrics-file", o.MetricsFile != ""}} {
		if f.set {
			return optionError("drill --no-witness: %s does not apply: no witness watches the segment, and a drill that measured no takeover is not recorded", f.flag)
		}
	}
	return nil
}

// env is cfg's drill environment before it is wired to a session, its
// witness on iface.
func (o DrillTargetOptions) env(cfg *config.Config, iface string) *vsphereenv.Env {
	return &vsphereenv.Env{Config: cfg, URL: PrintableTarget("", cfg, o.Sim), Interface: iface, Command: o.Command, RestoreCommand: o.RestoreCommand, NoWitness: o.Sim || o.NoWitness}
}

// vsphereTarget is cfg's pair to drill on vSphere (on topology's
// simulator when set), opened unless DryRun.
func (o DrillTargetOptions) vsphereTarget(ctx context.Context, cfg *config.Config, topology string) (*DrillTarget, error) {
	ifaces, err := WitnessInterfaces(o.Interfaces, []string{cfg.Pair.Name})
	if err != nil {
		return nil, err
	}
	iface := ifaces[cfg.Pair.Name]
	env := o.env(cfg, iface)
	nets, err := env.Networks(o.Network)
	if err != nil {
		return nil, err
	}
	if o.DryRun {
		return &DrillTarget{Env: env, Networks: nets, Owned: Witnessed(nets), Close: func() {}}, nil
	}
	if iface == "" && !o.Sim && !o.NoWitness {
		return nil, optionError("drill: on vSphere the witness needs --interface IF, an interface of this machine on the CARP segment")
	}
	closeEnv, err := OpenDrill(ctx, cfg, topology, env, o.Progress)
	if err != nil {
		return nil, fmt.Errorf("drill: %w", err)
	}
	return &DrillTarget{Env: env, Networks: nets, Owned: Witnessed(nets), Close: closeEnv}, nil
}

// fleetTarget checks what every pair needs (its networks; its witness's
// interface unless DryRun, which only plans) before the first is drilled.
func (o DrillTargetOptions) fleetTarget(pairs []*config.Config, topology string) (*DrillFleetTarget, error) {
	ifaces, err := WitnessInterfaces(o.Interfaces, config.Names(pairs))
	if err != nil {
		return nil, err
	}
	f := &DrillFleetTarget{Pairs: pairs, Topology: topology, Interfaces: ifaces, Networks: map[string][]failover.Network{}, opts: o}
	for _, cfg := range pairs {
		nets, err := f.Env(cfg).Networks(o.Network)
		if err != nil {
			return nil, optionError("drill: pair %s: %v", cfg.Pair.Name, err)
		}
		f.Networks[cfg.Pair.Name] = nets
	}
	if missing := f.Unwitnessed(); len(missing) > 0 && !o.DryRun && !o.Sim && !o.NoWitness {
		return nil, optionError("drill: on vSphere each pair's witness needs an interface of this machine on its CARP segment: --interface PAIR=IF for %s", strings.Join(missing, ", "))
	}
	return f, nil
}

// WitnessInterfaces maps each pair to its witness interface from the
// --interface values: IF alone is every pair's (one pair, or a machine on
// every pair's segment), PAIR=IF one pair's and wins over IF alone.
func WitnessInterfaces(values []string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	var every string
	for _, v := range values {
		pair, iface, named := strings.Cut(v, "=")
		if !named {
			pair, iface = "", v
		}
		switch {
		case iface == "":
			return nil, optionError("drill: --interface %q: want IF or PAIR=IF", v)
		case !named && every != "":
			return nil, optionError("drill: --interface %s and %s: one interface for every pair at most; name the pairs (PAIR=IF)", every, iface)
		case !named:
			every = iface
		case !slices.Contains(pairs, pair):
			return nil, optionError("drill: --interface %s: %q is not a pair of the configuration (pairs: %s)", v, pair, strings.Join(pairs, ", "))
		case out[pair] != "":
			return nil, optionError("drill: --interface: pair %s given twice (%s and %s)", pair, out[pair], iface)
		default:
			out[pair] = iface
		}
	}
	for _, p := range pairs {
		if out[p] == "" {
			out[p] = every
		}
	}
	return out, nil
}
