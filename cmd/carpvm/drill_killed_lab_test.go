package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/lab"
)

// TestDrillKilledAtEachPhaseRestoresTheLab: a real carpvm drill of the lab
// (as root), SIGKILLed at each journal phase of the triggers that leave
// something behind (power-off: the router's node killed and its ports
// down; stun: its node SIGSTOPped and its ports silent; nic-disconnect; a
// partition), leaves its journal; lab status calls the lab unhealthy and
// names the restore command; drill restore brings the pair back to one
// master per group with both routers up, and removes the journal.
func TestDrillKilledAtEachPhaseRestoresTheLab(t *testing.T) {
	lc := newLabCLI(t, "tdk")
	history := filepath.Join(lc.tmp, "history")
	labFlags := []string{"--prefix", lc.prefix, "--state-dir", lc.stateDir}
	if out, err := lc.run(append([]string{"lab", "up", "--advbase", "0"}, labFlags...)...); err != nil {
		t.Fatalf("lab up: %v\n%s", err, out)
	}
	status := func() (int, string) {
		code, out, _ := runDrillCLI(t, lc.env, append([]string{"lab", "status", "--history", history}, labFlags...)...)
		return code, out
	}
	restoreCmd := "carpvm drill restore --lab --lab-prefix " + lc.prefix + " --lab-state-dir " + lc.stateDir + " --history " + history
	cases := []struct{ trigger, network string }{{"power-off", "intranought"}, {"stun", "intranought"}, {"nic-disconnect", "public"}, {"partition", "public"}}
	for _, tc := range cases {
		phases := failover.JournalPhases()
		if tc.trigger == "nic-disconnect" || tc.trigger == "partition" {
			phases = []string{failover.JournalTriggered}
		}
		for _, phase := range phases {
			t.Run(tc.trigger+"/"+phase, func(t *testing.T) {
				cmd := lc.command("drill", "--lab", "--lab-prefix", lc.prefix, "--lab-state-dir", lc.stateDir, "--network", tc.network, "--trigger", tc.trigger, "--duration", "2s", "--history", history)
				if tc.trigger != "stun" {
					cmd.Args = slicesWithout(cmd.Args, "--duration", "2s")
				}
				cmd.Env = append(cmd.Env, stopAtEnv+"="+phase)
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
					t.Fatalf("the drill was not killed at %s: %v\n%s", phase, err, out)
				}
				j, err := failover.ReadJournal(history, "lab-"+strings.TrimSuffix(lc.prefix, "-"))
				if err != nil || j == nil || j.Trigger != tc.trigger || j.RestoreCommand != restoreCmd {
					t.Fatalf("journal %+v, %v", j, err)
				}
				if code, out := status(); code != exitCheckFailed || !strings.Contains(out, "cut short") || !strings.Contains(out, restoreCmd) {
					t.Errorf("lab status with a journal left: exit %d, want 1 naming the restore:\n%s", code, out)
				}
				code, stdout, stderr := runDrillCLI(t, lc.env, "drill", "restore", "--lab", "--lab-prefix", lc.prefix, "--lab-state-dir", lc.stateDir, "--history", history)
				if code != exitOK || !strings.Contains(stdout, "journal removed") {
					t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
				}
				// One master per group, both routers up: lab status healthy,
				// once the restarted node has been elected back, and for a
				// master-down time on end: a thawed master and the backup
				// that took over are both masters until one steps down, and
				// one status read of the two routers can fall between.
				var last string
				settled := carp.MasterDown(0, int(lab.AdvSkew[lab.Router2])) // the lab is up with --advbase 0
				var healthySince time.Time
				for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
					code, out := status()
					switch {
					case code != exitOK:
						healthySince, last = time.Time{}, out
					case healthySince.IsZero():
						healthySince = time.Now()
					case time.Since(healthySince) >= settled:
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("the lab is not healthy for %s on end after the restore:\n%s", settled, last)
					}
				}
			})
		}
	}
}

// slicesWithout returns args without the adjacent pair a, b.
func slicesWithout(args []string, a, b string) []string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == a && args[i+1] == b {
			return append(args[:i:i], args[i+2:]...)
		}
	}
	return args
}
