package vsphere_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// govc runs the govc at path against the simulator, the credentials in
// its environment only.
func govc(t *testing.T, path string, srv *sim.Server, args ...string) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(),
		"GOVC_URL="+srv.URL, "GOVC_USERNAME="+srv.Username, "GOVC_PASSWORD="+srv.Password.Reveal(), "GOVC_INSECURE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("govc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// intraNoughtSpec reads the IntraNought portgroup's spec on esxi-01 through govmomi.
func intraNoughtSpec(t *testing.T, w *fixWorld) types.HostPortGroupSpec {
	t.Helper()
	c := w.s.Client()
	host, err := find.NewFinder(c).HostSystem(w.ctx, "esxi-01")
	if err != nil {
		t.Fatal(err)
	}
	var hs mo.HostSystem
	if err := object.NewHostSystem(c, host.Reference()).Properties(w.ctx, host.Reference(), []string{"config.network.portgroup"}, &hs); err != nil {
		t.Fatal(err)
	}
	for _, pg := range hs.Config.Network.Portgroup {
		if pg.Spec.Name == sim.PortgroupInternal {
			return pg.Spec
		}
	}
	t.Fatal("no IntraNought portgroup on esxi-01")
	return types.HostPortGroupSpec{}
}

func boolText(b *bool) string {
	if b == nil {
		return "unset"
	}
	if *b {
		return "true"
	}
	return "false"
}

// TestRollbackKeepsLaterChanges: after --fix, an operator sets the IntraNought
// portgroup's VLAN (and forged transmits, which the fix did not touch) with
// a real govc; the rollback keeps both and restores only what the fix set
// (promiscuous mode, unset again).
func TestRollbackKeepsLaterChanges(t *testing.T) {
	w := newFixWorld(t, sim.Default())
	before := intraNoughtSpec(t, w)
	b := w.backup(w.plan(fix.Options{}))
	if err := w.s.Apply(w.ctx, b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := intraNoughtSpec(t, w).Policy.Security; got == nil || boolText(got.AllowPromiscuous) != "true" {
		t.Fatalf("the fix did not accept promiscuous mode on IntraNought: %+v", got)
	}
	// govc host.portgroup.change writes the whole security policy from its
	// flags: the operator keeps the fix's promiscuous mode.
	govc(t, testbin.Govc(t), w.srv, "host.portgroup.change", "-host", "esxi-01", "-vlan-id", "42", "-allow-promiscuous=true", "-forged-transmits=false", sim.PortgroupInternal)
	if err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{}); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	got := intraNoughtSpec(t, w)
	if got.VlanId != 42 {
		t.Errorf("VLAN after rollback = %d, want 42 (set with govc after the fix); before the fix it was %d", got.VlanId, before.VlanId)
	}
	if got.Policy.Security == nil {
		t.Fatal("security policy gone after rollback")
	}
	if p, want := boolText(got.Policy.Security.AllowPromiscuous), boolText(before.Policy.Security.AllowPromiscuous); p != want {
		t.Errorf("promiscuous after rollback = %s, want %s as before the fix", p, want)
	}
	if f := boolText(got.Policy.Security.ForgedTransmits); f != "false" {
		t.Errorf("forged transmits after rollback = %s, want false (set with govc, not by the fix)", f)
	}
}

// TestRollbackRefusesChangedField: when a field the fix set was changed
// since (promiscuous mode set to Reject with govc), rollback refuses, naming
// object, field, value now and value it would write, and writes nothing;
// with Force it writes the backup's value.
func TestRollbackRefusesChangedField(t *testing.T) {
	w := newFixWorld(t, sim.Default())
	b := w.backup(w.plan(fix.Options{}))
	if err := w.s.Apply(w.ctx, b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	govc(t, testbin.Govc(t), w.srv, "host.portgroup.change", "-host", "esxi-01", "-vlan-id", "42", "-allow-promiscuous=false", sim.PortgroupInternal)
	state := w.state(t)
	err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{})
	var ce *vsphere.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Rollback: err = %v, want a ConflictError", err)
	}
	t.Logf("refused: %v", err)
	for _, want := range []string{"portgroup IntraNought on esxi-01", "policy.security.allowPromiscuous", "is now false", "would write unset", "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if d := sim.DiffState(state, w.state(t)); len(d) > 0 {
		t.Errorf("a refused rollback changed the inventory:\n%s", strings.Join(d, "\n"))
	}
	if err := w.s.Rollback(w.ctx, b, vsphere.RollbackOptions{Force: true}); err != nil {
		t.Fatalf("Rollback --force: %v", err)
	}
	got := intraNoughtSpec(t, w)
	if got.VlanId != 42 || got.Policy.Security == nil || got.Policy.Security.AllowPromiscuous != nil {
		t.Errorf("after a forced rollback: VLAN %d, security %+v; want VLAN 42 kept and promiscuous unset as before the fix", got.VlanId, got.Policy.Security)
	}
}
