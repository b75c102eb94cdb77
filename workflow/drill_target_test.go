package workflow

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/vsphereenv"
)

// witnessedPair is the simulator's pair under another name, with each
// router's address on every network, as a witnessed drill needs.
func witnessedPair(name string) *config.Config {
	c := simPair(name)
	for i := range c.Networks {
		n := &c.Networks[i]
		n.Addresses = map[string]netip.Prefix{}
		for j, r := range c.Pair.Routers {
			n.Addresses[r.Name] = netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(10*i + j + 1)}), 24)
		}
	}
	return c
}

// pairsOf is a LoadPairs that returns pairs and counts its calls.
func pairsOf(calls *int, pairs ...*config.Config) func(bool) ([]*config.Config, error) {
	return func(bool) ([]*config.Config, error) {
		*calls++
		return pairs, nil
	}
}

// TestChooseDrillRefuses: contradictory options are an *OptionError
// naming the flags, decided before any configuration is loaded or
// anything opened.
func TestChooseDrillRefuses(t *testing.T) {
	vsphere := DrillTargetOptions{ConfigFlag: true, Topology: "default", Trigger: failover.TriggerNICDisconnect, Interfaces: []string{"ens224"}}
	sim := DrillTargetOptions{Sim: true, Topology: "default", Trigger: failover.TriggerPowerOff}
	lab := DrillTargetOptions{Lab: true, Topology: "default", Trigger: failover.TriggerPowerOff}
	with := func(o DrillTargetOptions, edit func(*DrillTargetOptions)) DrillTargetOptions {
		edit(&o)
		return o
	}
	for _, tc := range []struct {
		name string
		o    DrillTargetOptions
		want string
	}{
		{"no target", DrillTargetOptions{Topology: "default"}, "want --lab, or --config"},
		{"lab and config", with(lab, func(o *DrillTargetOptions) { o.ConfigFlag = true }), "--lab and --config are exclusive"},
		{"lab and sim", with(lab, func(o *DrillTargetOptions) { o.Sim = true }), "--lab and --sim are exclusive"},
		{"lab and pair", with(lab, func(o *DrillTargetOptions) { o.Pair = "paris" }), "the lab is one pair"},
		{"lab and interface", with(lab, func(o *DrillTargetOptions) { o.Interfaces = []string{"eth0"} }), "--interface, --command and --no-witness are for vSphere"},
		{"lab and no witness", with(lab, func(o *DrillTargetOptions) { o.NoWitness = true }), "are for vSphere"},
		{"topology without sim", with(vsphere, func(o *DrillTargetOptions) { o.Topology = "dvs" }), "--topology needs --sim"},
		{"sim and no witness", with(sim, func(o *DrillTargetOptions) { o.NoWitness = true }), "--sim has no witness already"},
		{"sim unknown topology", with(sim, func(o *DrillTargetOptions) { o.Topology = "moon" }), `--topology "moon": want one of`},
		{"sim demote", with(sim, func(o *DrillTargetOptions) { o.Trigger = failover.TriggerDemote }), "drill --sim:"},
		{"sim interface", with(sim, func(o *DrillTargetOptions) { o.Interfaces = []string{"eth0"} }), "--interface does not apply"},
		{"sim command", with(sim, func(o *DrillTargetOptions) { o.Command = "true" }), "--command does not apply"},
		{"sim metrics", with(sim, func(o *DrillTargetOptions) { o.MetricsFile = "m.prom" }), "--metrics-file does not apply"},
		{"sim history", with(sim, func(o *DrillTargetOptions) { o.History = "h" }), "--history does not apply"},
		{"vsphere partition", with(vsphere, func(o *DrillTargetOptions) { o.Trigger = failover.TriggerPartition }), "partition is a lab trigger"},
		{"vsphere demote without command", with(vsphere, func(o *DrillTargetOptions) { o.Trigger = failover.TriggerDemote }), "needs --command"},
		{"no witness with interface", with(vsphere, func(o *DrillTargetOptions) { o.NoWitness = true }), "--no-witness: --interface does not apply"},
		{"no witness demote", with(vsphere, func(o *DrillTargetOptions) {
			o.NoWitness, o.Interfaces, o.Trigger, o.Command = true, nil, failover.TriggerDemote, "true"
		}), "drill --no-witness:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var loads int
			tc.o.LoadPairs = pairsOf(&loads, simPair("paris"))
			pair, fleet, err := ChooseDrill(context.Background(), tc.o)
			var oe *OptionError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want an *OptionError saying %q", err, tc.want)
			}
			if pair != nil || fleet != nil || loads != 0 {
				t.Errorf("refused, yet pair %v, fleet %v, %d configuration load(s)", pair, fleet, loads)
			}
		})
	}
}

// TestChooseDrillLabNotUp: --lab with no lab in its state directory is
// refused as an option error, naming the directory.
func TestChooseDrillLabNotUp(t *testing.T) {
	dir := t.TempDir()
	_, _, err := ChooseDrill(context.Background(), DrillTargetOptions{Lab: true, LabStateDir: dir, Topology: "default", Trigger: failover.TriggerPowerOff})
	var oe *OptionError
	if !errors.As(err, &oe) {
		t.Fatalf("err %v (%T), want an *OptionError", err, err)
	}
}

// TestChooseDrillPair: one pair (or --pair of a fleet) is a pair target;
// a dry run opens nothing and plans every network, the witness owning
// one network only when one is drilled; without a witness interface a
// real drill on vSphere is refused before anything is opened.
func TestChooseDrillPair(t *testing.T) {
	var loads int
	o := DrillTargetOptions{ConfigFlag: true, Topology: "default", Trigger: failover.TriggerNICDisconnect, DryRun: true, Command: "ssh r demote"}
	o.LoadPairs = pairsOf(&loads, witnessedPair("paris"), witnessedPair("roubaix"))
	o.Pair = "roubaix"
	pair, fleet, err := ChooseDrill(context.Background(), o)
	if err != nil || fleet != nil || pair == nil {
		t.Fatalf("pair %v, fleet %v, err %v; want roubaix's pair", pair, fleet, err)
	}
	defer pair.Close()
	env := pair.Env.(*vsphereenv.Env)
	if env.Pair() != "roubaix" || env.Command != "ssh r demote" || env.NoWitness || len(pair.Networks) < 2 || pair.Owned != nil || loads != 1 {
		t.Errorf("target %+v (env %+v), want roubaix's networks, its command, a witness and no ownership map", pair, env)
	}

	o.Network = pair.Networks[0].Name
	if pair, _, err = ChooseDrill(context.Background(), o); err != nil || len(pair.Networks) != 1 || !slices.Equal(networkNames(pair.Owned), []string{o.Network}) {
		t.Fatalf("--network %s: %+v, %v; want that network, owned", o.Network, pair, err)
	}

	o.DryRun = false
	_, _, err = ChooseDrill(context.Background(), o)
	var oe *OptionError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "needs --interface IF") {
		t.Errorf("no --interface on vSphere: err %v, want an *OptionError asking for it", err)
	}
}

// TestChooseDrillFleet: a fleet without Pair is every pair, each with its
// witness interface (IF alone for every pair, PAIR=IF one pair's) and
// networks; a pair without one is refused unless dry-run or unwitnessed.
func TestChooseDrillFleet(t *testing.T) {
	var loads int
	o := DrillTargetOptions{ConfigFlag: true, Topology: "default", Trigger: failover.TriggerPowerOff, Interfaces: []string{"ens224", "roubaix=vlan28"}}
	o.LoadPairs = pairsOf(&loads, witnessedPair("paris"), witnessedPair("roubaix"))
	pair, fleet, err := ChooseDrill(context.Background(), o)
	if err != nil || pair != nil || fleet == nil {
		t.Fatalf("pair %v, fleet %v, err %v; want the fleet", pair, fleet, err)
	}
	if len(fleet.Pairs) != 2 || fleet.Topology != "" || len(fleet.Networks["paris"]) == 0 || len(fleet.Unwitnessed()) != 0 {
		t.Errorf("fleet %+v, want paris and roubaix with their networks, on their vCenters", fleet)
	}
	if got := fleet.Env(fleet.Pairs[1]); got.Interface != "vlan28" || got.Pair() != "roubaix" || fleet.Env(fleet.Pairs[0]).Interface != "ens224" {
		t.Errorf("roubaix's env %+v, want its witness on vlan28, paris's on ens224", got)
	}

	o.Interfaces = []string{"paris=ens224"}
	_, _, err = ChooseDrill(context.Background(), o)
	if !strings.Contains(fmtErr(err), "--interface PAIR=IF for roubaix") {
		t.Errorf("roubaix without a witness: err %v, want it named", err)
	}
	o.DryRun = true
	if _, fleet, err = ChooseDrill(context.Background(), o); err != nil || !slices.Equal(fleet.Unwitnessed(), []string{"roubaix"}) {
		t.Errorf("dry run: fleet %+v, err %v; want planned, roubaix unwitnessed", fleet, err)
	}

	o.DryRun, o.Network = false, "nowhere"
	o.Interfaces = []string{"ens224"}
	_, _, err = ChooseDrill(context.Background(), o)
	var oe *OptionError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "pair paris") {
		t.Errorf("--network nowhere: err %v, want an *OptionError naming the pair", err)
	}
}

// TestWitnessInterfaces: IF alone is every pair's, PAIR=IF one pair's and
// wins over it; a malformed or unknown value is an option error.
func TestWitnessInterfaces(t *testing.T) {
	got, err := WitnessInterfaces([]string{"ens224", "roubaix=vlan28"}, []string{"paris", "roubaix"})
	if err != nil || got["paris"] != "ens224" || got["roubaix"] != "vlan28" {
		t.Errorf("got %v, %v; want paris on ens224, roubaix on vlan28", got, err)
	}
	got, err = WitnessInterfaces(nil, []string{"paris"})
	if err != nil || got["paris"] != "" {
		t.Errorf("no --interface: got %v, %v; want none", got, err)
	}
	for _, bad := range [][]string{{"paris="}, {"ens224", "ens256"}, {"lyon=ens224"}, {"paris=a", "paris=b"}} {
		var oe *OptionError
		if _, err := WitnessInterfaces(bad, []string{"paris"}); !errors.As(err, &oe) {
			t.Errorf("%q: err %v, want an *OptionError", bad, err)
		}
	}
}

func networkNames(nets []failover.Network) []string {
	var out []string
	for _, n := range nets {
		out = append(out, n.Name)
	}
	return out
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
