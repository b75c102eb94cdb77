package vsphere_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// BenchmarkGatherAtScale grows the default topology by 5,000, 20,000 and
// 40,000 powered-on VMs (16 per host, in clusters of 64: the last is
// vCenter 8's maximum, 2,500 hosts) and reports, for each: the
// simulator's build time and this process's resident set after it
// (build-s, sim-rss-MB); Gather's time (ns/op) and round trips; and one
// `carpvm preflight` run as its own process against the served simulator:
// its wall time and peak resident set (preflight-s, preflight-peak-rss-MB),
// the figures issue 21 sets at 10 s and 500 MB.
//
// The simulator collects garbage as `carpvm sim`'s does
// (sim.TuneServingProcess), which is what a preflight meets when served.
func BenchmarkGatherAtScale(b *testing.B) {
	carpvm := testbin.Carpvm(b)
	gc, limit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(gc)
	b.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })
	sim.TuneServingProcess()
	for _, vms := range []int{5000, 20000, 40000} {
		b.Run(fmt.Sprintf("vms=%d", vms), func(b *testing.B) {
			g := sim.Inventory{Hosts: vms / 16, VMs: vms}
			start := time.Now()
			srv, err := sim.Start(context.Background(), sim.Default().WithInventory(g), "")
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			build := time.Since(start)
			simRSS := residentMB(b, "VmRSS")
			s := open(b, srv.VSphereConfig())
			b.ResetTimer()
			rt := 0
			for b.Loop() {
				n, _ := gatherRoundTrips(b, s)
				rt += n
			}
			b.StopTimer()
			wall, peak := preflightProcess(b, carpvm, srv)
			b.ReportMetric(float64(rt)/float64(b.N), "round-trips/op")
			b.ReportMetric(build.Seconds(), "build-s")
			b.ReportMetric(simRSS, "sim-rss-MB")
			b.ReportMetric(wall.Seconds(), "preflight-s")
			b.ReportMetric(peak, "preflight-peak-rss-MB")
		})
	}
}

// preflightProcess runs carpvm preflight against srv as a child process
// and returns its wall time and peak resident set in MB.
func preflightProcess(b *testing.B, carpvm string, srv *sim.Server) (time.Duration, float64) {
	b.Helper()
	file := filepath.Join(b.TempDir(), "carpvm.yaml")
	yaml := fmt.Sprintf("vsphere:\n  url: %s\n  username: %s\n  thumbprint: %q\n%s", srv.URL, srv.Username, srv.Thumbprint, config.SimulatorYAML)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(carpvm, "preflight", "--config", file, "-o", "json")
	cmd.Env = append(os.Environ(), "CARPVM_VSPHERE_PASSWORD="+srv.Password.Reveal())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// The child's ru_maxrss would count this process's resident set, which
	// the child shares until it executes carpvm (Start returns after): read
	// carpvm's own peak (VmHWM of its memory map) while it runs instead.
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak float64
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var err error
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case <-tick.C:
			if hwm, ok := statusMB(status, "VmHWM"); ok {
				peak = max(peak, hwm)
			}
		}
	}
	wall := time.Since(start)
	// Exit 1 is the default topology's failed checks, as expected.
	if code := cmd.ProcessState.ExitCode(); err != nil && code != 1 {
		b.Fatalf("carpvm preflight: %v\n%s", err, stderr.String())
	}
	return wall, peak
}

// residentMB reads a VmRSS or VmHWM line of /proc/self/status, in MB.
func residentMB(b *testing.B, field string) float64 {
	b.Helper()
	mb, ok := statusMB("/proc/self/status", field)
	if !ok {
		b.Fatalf("no %s in /proc/self/status", field)
	}
	return mb
}

// statusMB reads the field (VmRSS, VmHWM) of a /proc status file, in MB.
func statusMB(path, field string) (float64, bool) {
	status, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024, err == nil
		}
	}
	return 0, false
}
