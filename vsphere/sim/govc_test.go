package sim_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// govcHangGuard bounds each govc run, so that a simulator that stops
// answering fails the test instead of hanging it; not a timing assertion.
const govcHangGuard = 2 * time.Minute

// runGovc runs govc against srv, the credentials in its environment only.
func runGovc(t *testing.T, govc string, srv *sim.Server, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), govcHangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, govc, args...)
	cmd.Env = append(os.Environ(),
		"GOVC_URL="+srv.URL, "GOVC_USERNAME="+srv.Username, "GOVC_PASSWORD="+srv.Password.Reveal(), "GOVC_INSECURE=1")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("govc %s: no answer within %v, the simulator hangs\n%s", strings.Join(args, " "), govcHangGuard, out)
	}
	return string(out), err
}

func dvPortgroup(t *testing.T, c *vim25.Client, name string) mo.DistributedVirtualPortgroup {
	t.Helper()
	ctx := context.Background()
	n, err := find.NewFinder(c, false).Network(ctx, "/"+sim.DefaultDatacenter+"/network/"+name)
	if err != nil {
		t.Fatal(err)
	}
	pg, ok := n.(*object.DistributedVirtualPortgroup)
	if !ok {
		t.Fatalf("%s is a %T, want a distributed portgroup", name, n)
	}
	var out mo.DistributedVirtualPortgroup
	if err := pg.Properties(ctx, pg.Reference(), []string{"key", "portKeys", "config.distributedVirtualSwitch"}, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGovcDVSPortgroupInfo: govc dvs.portgroup.info on the distributed
// topology lists each portgroup's ports (it fetches the switch's ports,
// which made the simulator panic on carpvm's strict distributed
// portgroups and then hang, its lock on the switch never released), and
// the simulator answers afterwards.
func TestGovcDVSPortgroupInfo(t *testing.T) {
	srv, c := start(t, sim.Distributed(false))
	govc := testbin.Govc(t)

	for _, name := range []string{sim.PortgroupInternal, sim.PortgroupPublic} {
		pg := dvPortgroup(t, c, name)
		out, err := runGovc(t, govc, srv, "dvs.portgroup.info", "-pg", name, "DSwitch")
		if err != nil {
			t.Fatalf("govc dvs.portgroup.info -pg %s DSwitch: %v\n%s", name, err, out)
		}
		if len(pg.PortKeys) == 0 {
			t.Fatalf("%s has no ports", name)
		}
		if got := strings.Count(out, "PortgroupKey: "+pg.Key+"\n"); got != len(pg.PortKeys) {
			t.Errorf("govc lists %d ports of %s (%s), want %d:\n%s", got, name, pg.Key, len(pg.PortKeys), out)
		}
		for _, key := range pg.PortKeys {
			if !strings.Contains(out, "PortKey:      "+key+"\n") {
				t.Errorf("govc output lacks port %s of %s:\n%s", key, name, out)
			}
		}
		if !strings.Contains(out, "VlanId:       0\n") {
			t.Errorf("govc output lacks %s's VLAN 0:\n%s", name, out)
		}
	}

	// Still answering: the whole switch's ports, and a plain read.
	out, err := runGovc(t, govc, srv, "dvs.portgroup.info", "DSwitch")
	if err != nil || !strings.Contains(out, "PortgroupKey: "+dvPortgroup(t, c, sim.PortgroupPublic).Key) {
		t.Errorf("govc dvs.portgroup.info DSwitch afterwards: %v\n%s", err, out)
	}
}
