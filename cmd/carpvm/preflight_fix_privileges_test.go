package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// A user whose role lacks a privilege the plan needs: --fix --yes refuses
// before anything is written (no backup, the inventory as it was), exit 4,
// naming each object and privilege. The fix role is enough.
func TestFixRefusedForMissingPrivileges(t *testing.T) {
	for _, tc := range []struct {
		role    string
		refused bool
	}{{"readonly", true}, {"drill", true}, {"fix", false}} {
		t.Run(tc.role, func(t *testing.T) {
			s := startFixSim(t, sim.Default())
			if err := s.srv.SetRole(tc.role); err != nil {
				t.Fatal(err)
			}
			before := inventory(t, s)
			backup := filepath.Join(t.TempDir(), "b.json")
			r := runFix(t, s, fixOptions{fixFlags: fixFlags{Yes: true, Backup: backup}})
			if !tc.refused {
				if !r.doc.Applied {
					t.Fatalf("role %s: not applied (exit %d):\n%s", tc.role, r.code, r.stderr)
				}
				return
			}
			if r.code != exitNotApplied {
				t.Fatalf("exit %d, want %d:\n%s", r.code, exitNotApplied, r.stderr)
			}
			for _, want := range []string{"Host.Config.Network on host esxi-01", "nothing was written"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
				}
			}
			if _, err := os.Stat(backup); err == nil {
				t.Error("a backup was written")
			}
			if d := sim.DiffState(before, inventory(t, s)); len(d) > 0 {
				t.Errorf("the inventory changed:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

// The fix role is enough for a plan with a step of every kind (--relocate
// and --set-vmac included), and docs/privileges.md names each privilege of
// the fix and drill roles, in its role.create commands too.
func TestFixRoleCoversEveryStep(t *testing.T) {
	s := startFixSim(t, sim.EveryStep())
	if err := s.srv.SetRole("fix"); err != nil {
		t.Fatal(err)
	}
	r := runFix(t, s, fixOptions{fixFlags: fixFlags{Yes: true, Backup: filepath.Join(t.TempDir(), "b.json"), Relocate: true, SetVMAC: true}})
	if !r.doc.Applied {
		t.Fatalf("role fix: not applied (exit %d):\n%s", r.code, r.stderr)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "privileges.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"fix", "drill"} {
		create := ""
		for _, line := range strings.SplitAfter(string(doc), "\n") {
			if strings.Contains(line, "govc role.create carpvm-"+role+" ") || create != "" && strings.HasSuffix(strings.TrimSpace(create), "\\") {
				create += line
			}
		}
		for _, p := range sim.Roles()[role] {
			if !strings.Contains(create, " "+p) {
				t.Errorf("docs/privileges.md: govc role.create carpvm-%s lacks %s", role, p)
			}
		}
	}
}

// The simulator enforces the role itself: a write the role lacks the
// privilege for fails with NoPermission, naming it.
func TestSimRoleRefusesWrites(t *testing.T) {
	s := startFixSim(t, sim.Default())
	if err := s.srv.SetRole("bogus"); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("SetRole(bogus): %v, want the roles named", err)
	}
	if err := s.srv.SetRole("readonly"); err != nil {
		t.Fatal(err)
	}
	be, err := s.connect(context.Background(), mustConfig(t, s), "", func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(context.Background())
	err = be.PowerOff(context.Background(), sim.Router1)
	if err == nil || !strings.Contains(err.Error(), "NoPermission") && !strings.Contains(err.Error(), "VirtualMachine.Interact.PowerOff") {
		t.Errorf("power-off as readonly: err = %v, want NoPermission", err)
	}
}

func mustConfig(t *testing.T, s *fixSim) *config.Config {
	t.Helper()
	cfg, err := s.config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
