package main

import (
	"strings"
	"testing"

	"github.com/carpvm/carpvm/vsphere/sim"
)

// TestDrillRefusesWithoutPrivilegesBeforeAnyWrite: a vSphere drill asks
// vCenter for the privileges its trigger and its undo need on the router
// VM before its first write; a user whose role lacks one (sim --role) is
// refused with exit 4 naming the VM and each missing privilege, nothing
// written and no journal left. The drill role drills.
func TestDrillRefusesWithoutPrivilegesBeforeAnyWrite(t *testing.T) {
	cases := []struct {
		role, trigger string
		missing       []string // empty: the drill runs
	}{
		{"readonly", "power-off", []string{"VirtualMachine.Interact.PowerOff on vm router-002", "VirtualMachine.Interact.PowerOn on vm router-002"}},
		{"fix", "link-down", []string{"VirtualMachine.Interact.DeviceConnection on vm router-002"}},
		{"readonly", "nic-disconnect", []string{"VirtualMachine.Interact.DeviceConnection on vm router-002"}},
		{"drill", "power-off", nil},
		{"drill", "link-down", nil},
	}
	for _, c := range cases {
		t.Run(c.role+"/"+c.trigger, func(t *testing.T) {
			s := startFixSim(t, sim.Default())
			if err := s.srv.SetRole(c.role); err != nil {
				t.Fatal(err)
			}
			d := newDrillDir(t, s)
			before := inventory(t, s)
			s.srv.ClearFault()
			code, stdout, stderr := runDrillCLI(t, d.env, "drill", "--config", d.cfg, "--no-witness", "--force", "--network", "intranought",
				"--trigger", c.trigger, "--history", d.history)
			if len(c.missing) == 0 {
				if code != exitOK {
					t.Fatalf("role %s: exit %d\n%s%s", c.role, code, stdout, stderr)
				}
				return
			}
			if code != exitNotApplied {
				t.Errorf("exit %d, want %d (refused before the first write)\n%s%s", code, exitNotApplied, stdout, stderr)
			}
			for _, m := range c.missing {
				if !strings.Contains(stderr, m) {
					t.Errorf("the message does not name %q:\n%s", m, stderr)
				}
			}
			for _, call := range s.srv.Calls() {
				if !isReadMethod(call) {
					t.Errorf("a write was sent (%s) although a privilege is missing", call)
				}
			}
			if diff := sim.DiffState(before, inventory(t, s)); len(diff) > 0 {
				t.Errorf("the inventory changed:\n%s", strings.Join(diff, "\n"))
			}
			if j := d.journal(t); j != nil {
				t.Errorf("a journal was left: %+v", j)
			}
		})
	}
}
