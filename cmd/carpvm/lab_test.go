package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/internal/statepaths"
	"github.com/carpvm/carpvm/internal/syncbuf"
	"github.com/carpvm/carpvm/internal/testbin"
)

func TestLabUpAdvBaseFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--peer", "ucarp", "--advbase", "0"}, []string{"--advbase 0", "ucarp", "whole seconds", "carpvm peer"}},
		{[]string{"--advbase", "256"}, []string{"--advbase 256", "0..255"}},
		{[]string{"--advbase", "-1"}, []string{"--advbase -1", "0..255"}},
		{[]string{"--peer", "keepalived", "--advbase", "0"}, []string{"--advbase 0", "VRRPv3", "1..40"}},
		{[]string{"--peer", "keepalived", "--advbase", "41"}, []string{"--advbase 41", "1..40"}},
		{[]string{"--peer", "ucarp", "--mode", "unicast"}, []string{"--mode \"unicast\"", "ucarp", "no unicast"}},
		{[]string{"--mode", "broadcast"}, []string{"--mode \"broadcast\"", "multicast, unicast"}},
	} {
		args := append([]string{"lab", "up", "--state-dir", dir, "--prefix", "tflag-"}, tc.args...)
		code, _, errOut := runDrillCLI(t, nil, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%q)", tc.args, code, exitUsage, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: error %q does not say %q", tc.args, errOut, w)
			}
		}
		// Refused before anything was made.
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%v: the state directory was created", tc.args)
		}
	}
}

func TestWriteLabStatusAdvBaseZero(t *testing.T) {
	var b strings.Builder
	st := lab.Status{Prefix: "cvl-", StateDir: "/run/carpvm-lab", Peer: lab.PeerCarpvm, AdvBase: 0}
	if err := writeLabStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(b.String(), "\n"); first != "lab cvl- (state /run/carpvm-lab), router-003 runs carpvm, advbase 0" {
		t.Errorf("first line %q", first)
	}
}

// TestLabDrillSafety drives one real lab (as root) through the drill's
// safety edges: a passed drill whose --metrics-file directory is missing;
// two drills of one pair with different --history directories; and a
// partition left in place (a drill killed mid-partition), which lab status
// and the next drill's gate must call unhealthy, naming why, until the
// remedy they print (lab up) rebuilds the lab.
func TestLabDrillSafety(t *testing.T) {
	lc := newLabCLI(t, "tds")
	tmp, env, runBin := lc.tmp, lc.env, lc.run
	labFlags := []string{"--prefix", lc.prefix, "--state-dir", lc.stateDir}
	drillFlags := []string{"drill", "--lab", "--lab-prefix", lc.prefix, "--lab-state-dir", lc.stateDir}
	labUp := append([]string{"lab", "up", "--advbase", "0"}, labFlags...)
	if out, err := runBin(labUp...); err != nil {
		t.Fatalf("lab up: %v\n%s", err, out)
	}

	t.Run("metrics directory missing", func(t *testing.T) {
		metrics := filepath.Join(tmp, "textfile", "collector", "carpvm_drill.prom")
		code, _, errOut := runDrillCLI(t, env, append(drillFlags, "--network", "intranought", "--trigger", "demote",
			"--history", filepath.Join(tmp, "h0"), "--metrics-file", metrics)...)
		if code != exitOK {
			t.Fatalf("drill: exit %d, want 0 (passed):\n%s", code, errOut)
		}
		if b, err := os.ReadFile(metrics); err != nil || !strings.Contains(string(b), "carpvm_drill_success") {
			t.Errorf("metrics file: %v\n%s", err, b)
		}
	})

	t.Run("one lock per pair whatever the history", func(t *testing.T) {
		first := lc.command(append(drillFlags, "--network", "public", "--trigger", "power-off", "--history", filepath.Join(tmp, "h1"), "--progress")...)
		var firstErr syncbuf.Buffer
		first.Stdout, first.Stderr = io.Discard, &firstErr
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); !strings.Contains(firstErr.String(), "drilling "); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				first.Process.Kill()
				t.Fatalf("the first drill did not start:\n%s", firstErr.String())
			}
		}
		code, _, errOut := runDrillCLI(t, env, append(drillFlags, "--network", "public", "--trigger", "power-off", "--history", filepath.Join(tmp, "h2"))...)
		t.Logf("second drill: %s", errOut)
		wantPID := fmt.Sprintf("held by pid %d", first.Process.Pid)
		if code != exitCheckFailed || !strings.Contains(errOut, wantPID) || !strings.Contains(errOut, env[statepaths.LockDirEnv]) {
			t.Errorf("second drill with another --history: exit %d, stderr %q; want exit 1 saying %q and the lock's path", code, errOut, wantPID)
		}
		if err := first.Wait(); err != nil {
			t.Errorf("first drill: %v\n%s", err, firstErr.String())
		}
	})

	t.Run("partition left in place", func(t *testing.T) {
		l, err := lab.Open(lab.Options{Prefix: lc.prefix, StateDir: lc.stateDir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		nets, err := l.Networks("public")
		if err != nil {
			t.Fatal(err)
		}
		if err := (&lab.Env{Lab: l}).Trigger(context.Background(), failover.TriggerPartition, nets[0], lab.Router1); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			st := l.Status(context.Background())
			if s := st.Networks[1].States; s[lab.Router1] == "MASTER" && s[lab.Router2] == "MASTER" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("both routers did not become master of public: %+v", st.Networks)
			}
		}
		code, out, _ := runDrillCLI(t, env, append([]string{"lab", "status"}, labFlags...)...)
		t.Logf("lab status:\n%s", out)
		for _, want := range []string{"both routers are MASTER for vhid 2 (public)", "partition in place on bridge Public", "carpvm lab up"} {
			if code != exitCheckFailed || !strings.Contains(out, want) {
				t.Errorf("lab status: exit %d, want 1 saying %q:\n%s", code, want, out)
			}
		}
		code, out, _ = runDrillCLI(t, env, append(drillFlags, "--network", "intranought", "--trigger", "demote", "--history", filepath.Join(tmp, "h3"))...)
		if code != exitCheckFailed || !strings.Contains(out, "partition in place on bridge Public") || !strings.Contains(out, "nothing was touched") {
			t.Errorf("drill's gate: exit %d, want 1 naming the partition:\n%s", code, out)
		}
		// The remedy the status prints rebuilds the lab.
		if out, err := runBin(labUp...); err != nil {
			t.Fatalf("lab up: %v\n%s", err, out)
		}
		if code, out, _ := runDrillCLI(t, env, append([]string{"lab", "status"}, labFlags...)...); code != exitOK || !strings.Contains(out, "healthy") {
			t.Errorf("lab status after lab up: exit %d\n%s", code, out)
		}
	})
}

// TestLabUpDownWaitForTheDrill: while a drill holds the lab's lock, lab up
// (which rebuilds an unhealthy lab) and lab down are refused, naming the
// drill's pid, before they touch anything.
func TestLabUpDownWaitForTheDrill(t *testing.T) {
	tmp := t.TempDir()
	locks := filepath.Join(tmp, "locks")
	prefix := "twait-"
	held, err := failover.TryLock(locks, lab.PairName(prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	env := map[string]string{statepaths.LockDirEnv: locks}
	stateDir := filepath.Join(tmp, "lab")
	for _, sub := range []string{"up", "down"} {
		code, _, errOut := runDrillCLI(t, env, "lab", sub, "--prefix", prefix, "--state-dir", stateDir)
		if want := fmt.Sprintf("held by pid %d", os.Getpid()); code != exitCheckFailed || !strings.Contains(errOut, want) {
			t.Errorf("lab %s during a drill: exit %d, stderr %q; want exit 1 saying %q", sub, code, errOut, want)
		}
	}
	if _, err := os.Stat(stateDir); err == nil {
		t.Error("a refused lab up or down made the state directory")
	}
}

// labCLI is a lab a test drives as a user does, through a carpvm binary
// built for the test, under its own prefix, state directory, locks and
// state home; lab down runs at the test's end.
type labCLI struct {
	tmp, bin, prefix, stateDir string
	// env is the environment of in-process runs (runDrillCLI).
	env map[string]string
}

// newLabCLI skips the test when the lab cannot run here (not root, a tool
// missing); tag starts the lab's prefix.
func newLabCLI(t *testing.T, tag string) *labCLI {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: the lab's network namespaces need root")
	}
	if err := lab.Available(lab.PeerCarpvm); err != nil {
		t.Skipf("skipping: %v", err)
	}
	tmp := t.TempDir()
	lc := &labCLI{tmp: tmp, bin: testbin.Carpvm(t), prefix: fmt.Sprintf("%s%d-", tag, os.Getpid()%100000), stateDir: filepath.Join(tmp, "lab"),
		env: map[string]string{statepaths.LockDirEnv: filepath.Join(tmp, "locks"), "XDG_STATE_HOME": filepath.Join(tmp, "state")}}
	t.Cleanup(func() {
		if err := lab.Down(context.Background(), lab.Options{Prefix: lc.prefix, StateDir: lc.stateDir}, nil); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	return lc
}

// command is the binary with args, in the lab's environment.
func (lc *labCLI) command(args ...string) *exec.Cmd {
	cmd := exec.Command(lc.bin, args...)
	cmd.Env = append(os.Environ(), statepaths.LockDirEnv+"="+lc.env[statepaths.LockDirEnv], "XDG_STATE_HOME="+lc.env["XDG_STATE_HOME"])
	return cmd
}

// run runs the binary and returns its combined output.
func (lc *labCLI) run(args ...string) (string, error) {
	out, err := lc.command(args...).CombinedOutput()
	return string(out), err
}
