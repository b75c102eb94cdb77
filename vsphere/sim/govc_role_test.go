package sim_test

import (
	"strings"
	"testing"

	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// TestGovcRoleCreate: the roles docs/privileges.md has a user create
// (govc role.create carpvm-fix|carpvm-drill PRIVILEGE...) are accepted by
// vCenter's privilege list (vcsim refuses an unknown privilege id) and
// hold what the simulator's roles hold.
func TestGovcRoleCreate(t *testing.T) {
	govc := testbin.Govc(t)
	srv, _ := start(t, sim.Default())
	for _, role := range []string{"fix", "drill"} {
		privs := sim.Roles()[role]
		name := "carpvm-" + role
		if out, err := runGovc(t, govc, srv, append([]string{"role.create", name}, privs...)...); err != nil {
			t.Fatalf("govc role.create %s: %v\n%s", name, err, out)
		}
		out, err := runGovc(t, govc, srv, "role.ls", name)
		if err != nil {
			t.Fatalf("govc role.ls %s: %v\n%s", name, err, out)
		}
		for _, p := range privs {
			if !strings.Contains(out, p) {
				t.Errorf("role %s lacks %s:\n%s", name, p, out)
			}
		}
	}
}
