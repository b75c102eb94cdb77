package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover/vsphereenv"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// pairOutcome is what the pair's checks say on one simulator: preflight's
// report, the plan --fix makes and its re-check after applying, and the
// drill's gate. What vmac.conflict saw (how many other NICs it compared)
// is taken out of the reports into Compared.
type pairOutcome struct {
	Report   preflight.Report
	Plan     []change.Change
	Recheck  preflight.Report
	Gate     string
	Compared []string
}

// takeCompared moves vmac.conflict's Actual out of rep into o.Compared.
func (o *pairOutcome) takeCompared(rep preflight.Report) preflight.Report {
	rep.Findings = slices.Clone(rep.Findings)
	for i, f := range rep.Findings {
		if f.Check == preflight.CheckVMACConflict {
			o.Compared = append(o.Compared, f.Actual)
			rep.Findings[i].Actual = ""
		}
	}
	return rep
}

func outcomeOn(t *testing.T, spec string) (pairOutcome, int) {
	t.Helper()
	ctx := context.Background()
	quiet := func(string, ...any) {}
	var out pairOutcome

	cfg := config.Simulator()
	be, err := Open(ctx, cfg, spec, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(ctx)
	f, rep, err := Check(ctx, be, cfg, true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	out.Report = out.takeCompared(rep)
	attached := 0
	for _, n := range f.Networks {
		attached += len(n.Attached)
	}
	res, err := Fix(ctx, be, cfg, FixOptions{
		Simulated: true, Progress: quiet, Log: slog.New(slog.DiscardHandler),
		Lock:        func(string) (func(), error) { return func() {}, nil },
		WriteBackup: func(change.Backup) (string, error) { return "backup.json", nil },
	})
	if err != nil {
		t.Fatalf("fix on %s: %v", spec, err)
	}
	out.Plan, out.Recheck = res.Plan.Changes, out.takeCompared(res.Result)

	dcfg := config.Simulator()
	env := &vsphereenv.Env{Config: dcfg}
	closeEnv, err := OpenDrill(ctx, dcfg, spec, env, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer closeEnv()
	nets, err := env.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	_, gerr := env.Gate(ctx, nets[0])
	out.Gate = fmt.Sprint(gerr)
	return out, attached
}

// A vCenter grown around the pair (more clusters, hosts, a distributed
// switch, VMs, some on the routers' portgroups) changes nothing the pair's
// checks say: preflight's findings, --fix's plan and re-check, the drill's
// gate.
func TestGrownInventoryChangesNoFinding(t *testing.T) {
	for _, name := range []string{"default", "cluster-anti-affinity"} {
		t.Run(name, func(t *testing.T) {
			want, attached := outcomeOn(t, name)
			g := sim.Inventory{Hosts: 66, VMs: 201}
			got, grownAttached := outcomeOn(t, sim.Spec(name, g))
			// Managed object IDs shift with the objects created before.
			ids := cmpopts.IgnoreFields(change.Target{}, "HostRef", "Ref", "ClusterRef")
			if diff := cmp.Diff(want, got, ids, cmpopts.IgnoreFields(pairOutcome{}, "Compared")); diff != "" {
				t.Errorf("the pair's outcome changed with %d more hosts and %d more VMs (-without +with):\n%s", g.Hosts, g.VMs, diff)
			}
			// Added VMs 1, 101 and 201 have NICs on the routers' networks:
			// proof vmac.conflict looked at the added inventory.
			if grownAttached != attached+3 {
				t.Errorf("%d other NICs on the pair's networks with the added inventory, want %d", grownAttached, attached+3)
			}
			for i, c := range got.Compared {
				if i < len(want.Compared) && c == want.Compared[i] || !strings.Contains(c, "other MAC") {
					t.Errorf("vmac.conflict with the added inventory: %q, want it to have compared other NICs' MACs (without: %q)", c, want.Compared)
				}
			}
		})
	}
}
