package main

import (
	"strings"
	"testing"
)

// preflight --sim --inventory-* checks the pair on a grown simulator: the
// added VMs on the routers' portgroups reach vmac.conflict.
func TestPreflightSimInventory(t *testing.T) {
	got := runCLI(t, nil, "preflight", "--sim", "--inventory-hosts", "2", "--inventory-vms", "101", "--check", "vmac.conflict")
	if got.code != exitOK {
		t.Fatalf("exit %d, want %d (vmac.conflict passes)\nstderr:\n%s", got.code, exitOK, got.stderr)
	}
	for _, want := range []string{"1 other NIC on IntraNought uses another MAC", "1 other NIC on Public uses another MAC"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("report does not say %q:\n%s", want, got.stdout)
		}
	}
}
