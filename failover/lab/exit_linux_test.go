package lab

import (
	"os"
	"os/exec"
	"testing"
)

// A process on its way out has released its memory (its cmdline reads
// empty) before it closes its files, so it still holds its sockets — a
// CARP node's group lock among them — until it is a zombie or gone. A
// kernel thread has an empty cmdline too and never exits: it must read as
// still there, or a restart after a power-off races the dying node's lock.
func TestExitedWaitsForTheFilesToClose(t *testing.T) {
	if _, err := os.Stat("/proc/2/stat"); err != nil {
		t.Skip("no kthreadd (pid 2) in this pid namespace")
	}
	if exited(2) {
		t.Error("exited(2) = true for kthreadd, which runs with an empty cmdline")
	}
	if exited(os.Getpid()) {
		t.Error("exited(own pid) = true")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if !exited(cmd.Process.Pid) {
		t.Errorf("exited(%d) = false for a reaped child", cmd.Process.Pid)
	}
}
