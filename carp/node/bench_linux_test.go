package node

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// Benchmarks of the node on the wire (root; they skip otherwise). Run with
// `make bench` (-benchtime=1x): each iteration builds a fresh lab.

const backupSkew = 100

// expectedTakeover is the backup's master-down interval, 3*advbase +
// advskew/256 s, the bound a takeover after a crash should approach.
var expectedTakeover = 3*time.Second + backupSkew*time.Second/256

// firstAdvertFrom waits for the first CARP advert from src seen on link
// (a bow-out is a departure, not a takeover) and returns when it arrived.
func firstAdvertFrom(link *PacketLink, src netip.Addr, within time.Duration) (time.Time, error) {
	return firstFrameFrom(link, src, within, func(p []byte) bool {
		return len(p) >= carp.HeaderLen && p[5] != carp.BowOut
	})
}

// firstFrameFrom waits for the first protocol-112 frame from src whose
// payload is wanted and returns when it arrived.
func firstFrameFrom(link *PacketLink, src netip.Addr, within time.Duration, wanted func(payload []byte) bool) (time.Time, error) {
	deadline := time.Now().Add(within)
	buf := make([]byte, 2048)
	for {
		if err := link.conn.SetReadDeadline(deadline); err != nil {
			return time.Time{}, err
		}
		n, err := link.ReadFrame(buf)
		if err != nil {
			return time.Time{}, fmt.Errorf("no advert from %s within %s: %w", src, within, err)
		}
		at := time.Now()
		if f, err := carp.ParseFrame(buf[:n]); err == nil && f.Src == src && wanted(f.Payload) {
			return at, nil
		}
	}
}

type pairImpl struct {
	name  string
	start func(b *testing.B, p *pairLab, r *netns.Port, self string, advskew int) *netns.Process
}

var impls = []pairImpl{
	{"carpvm", func(b *testing.B, p *pairLab, r *netns.Port, _ string, advskew int) *netns.Process {
		proc, _ := p.node(b, r, advskew)
		return proc
	}},
	{"ucarp", func(b *testing.B, p *pairLab, r *netns.Port, self string, advskew int) *netns.Process {
		proc, _ := p.ucarp(b, r, self, advskew, filepath.Join(p.dir, "pass"))
		return proc
	}},
}

// BenchmarkTakeover measures, for a carpvm pair and a ucarp pair in the
// same lab, the time from stopping the master (SIGKILL, or SIGTERM for a
// graceful stop) to the backup's first advert as master, seen on the wire
// from a client's port; expected_s is 3*advbase + advskew/256.
func BenchmarkTakeover(b *testing.B) {
	for _, impl := range impls {
		for _, stop := range []struct {
			name string
			sig  syscall.Signal
		}{{"kill", syscall.SIGKILL}, {"graceful", syscall.SIGTERM}} {
			b.Run(impl.name+"/"+stop.name, func(b *testing.B) {
				var total time.Duration
				for range b.N {
					b.StopTimer()
					p := newPairLab(b)
					watch := openLink(b, p.client, LinkOptions{})
					master := impl.start(b, p, p.r1, "172.27.27.11", 0)
					if _, err := firstAdvertFrom(watch, netip.MustParseAddr("172.27.27.11"), 15*time.Second); err != nil {
						b.Fatal(err)
					}
					impl.start(b, p, p.r2, "172.27.27.12", backupSkew)
					time.Sleep(2 * time.Second) // the backup settles
					total += timeTakeover(b, func() error { return master.Signal(stop.sig) }, func() (time.Time, error) {
						return firstAdvertFrom(watch, netip.MustParseAddr("172.27.27.12"), 10*time.Second)
					})
				}
				b.ReportMetric(total.Seconds()/float64(b.N), "takeover_s")
				b.ReportMetric(expectedTakeover.Seconds(), "expected_s")
			})
		}
	}
}

// procCPU returns a process's user+system CPU time in clock ticks and its
// resident set in KiB.
func procCPU(pid int) (ticks uint64, rssKiB uint64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name (which may hold spaces).
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rssKiB, _ = strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return ut + st, rssKiB, nil
}

// BenchmarkIdleNode measures, side by side in one lab, the CPU share and
// resident memory of an idle carpvm node that is MASTER of two groups
// (vhids 1 and 2, advbase 1) and of ucarp doing the same (one process
// per group: vhids 3 and 4), over idleFor. The resident set is split into
// anonymous memory (heap, stacks) and file-backed pages (the binary's
// image, shared with the page cache).
func BenchmarkIdleNode(b *testing.B) {
	const idleFor = 10 * time.Second
	for range b.N {
		b.StopTimer()
		p := newPairLab(b)
		cfg := filepath.Join(p.dir, "node.yaml")
		sock := filepath.Join(p.dir, "idle.sock")
		pass := filepath.Join(p.dir, "pass")
		yaml := fmt.Sprintf("interface: %s\ncontrol_socket: %s\ngroups:\n  - vhid: 1\n    vips: [172.27.27.14/28]\n    pass_file: %s\n  - vhid: 2\n    vips: [172.27.27.5/28]\n    pass_file: %s\n", p.r1.IfName, sock, pass, pass)
		if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
			b.Fatal(err)
		}
		started := time.Now()
		cv := startLogged(b, p.r1, "carpvm node", p.bin, append([]string{"node", "run", "--config", cfg}, p.dirFlags()...)...)
		var ucarps []*netns.Process
		if _, err := exec.LookPath("ucarp"); err == nil {
			for _, vhid := range []string{"3", "4"} {
				ucarps = append(ucarps, startLogged(b, p.r2, "ucarp", "ucarp", "--interface="+p.r2.IfName, "--srcip=172.27.27.12",
					"--vhid="+vhid, "--passfile="+pass, "--addr=172.27.27.1"+vhid, "--advbase=1", "--upscript=/bin/true", "--downscript=/bin/true"))
			}
		}
		eventually(b, "carpvm MASTER of both groups", 15*time.Second, func() (bool, string) {
			st, err := p.nodeStatus(b, p.r1, "--control-socket", sock)
			if err != nil || len(st.Groups) != 2 {
				return false, fmt.Sprint(err)
			}
			return st.Groups[0].State == carp.Master && st.Groups[1].State == carp.Master, fmt.Sprint(st.Groups[0].State, st.Groups[1].State)
		})
		// ucarp's master-down is 3 s; carpvm gives back its start-up pages
		// a second time after imageSettleTime.
		time.Sleep(max(4*time.Second, time.Until(started.Add(imageSettleTime+2*time.Second))))
		measure := func(name string, procs ...*netns.Process) {
			if len(procs) == 0 {
				return
			}
			var cpu0, cpu1 time.Duration
			for _, pr := range procs {
				cpu0 += cpuNs(b, pr.Pid())
			}
			start := time.Now()
			time.Sleep(idleFor)
			var anon, file uint64
			for _, pr := range procs {
				cpu1 += cpuNs(b, pr.Pid())
				a, f, err := rss(pr.Pid())
				if err != nil {
					b.Fatal(err)
				}
				anon, file = anon+a, file+f
			}
			b.ReportMetric((cpu1-cpu0).Seconds()/time.Since(start).Seconds()*100, name+"_cpu_%")
			b.ReportMetric(float64(anon+file)/1024, name+"_rss_MiB")
			b.ReportMetric(float64(anon)/1024, name+"_rss_anon_MiB")
			b.ReportMetric(float64(file)/1024, name+"_rss_file_MiB")
		}
		measure("carpvm", cv)
		measure("ucarp", ucarps...)
	}
}

// rss returns a process's resident anonymous memory and resident
// file-backed pages, in KiB.
func rss(pid int) (anonKiB, fileKiB uint64, err error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "RssAnon":
			anonKiB = n
		case "RssFile", "RssShmem":
			fileKiB += n
		}
	}
	return anonKiB, fileKiB, nil
}

// BenchmarkRejectRate floods a carpvm master with forged adverts (wrong
// key; replays of its genuine adverts) and reports how many rejections per
// second it counted and whether it stayed master (1) throughout.
func BenchmarkRejectRate(b *testing.B) {
	for range b.N {
		b.StopTimer()
		p := newPairLab(b)
		proc, s1 := p.node(b, p.r1, 0)
		p.waitState(b, "r1", s1, carp.Master, 15*time.Second)
		evil := p.host(b, "ev", "172.27.27.13/28")
		link := openLink(b, evil, LinkOptions{})
		before, err := p.status(b, s1)
		if err != nil {
			b.Fatal(err)
		}
		t0, _, _ := procCPU(proc.Pid())
		sent, dur := flood(b, link, 4*time.Second)
		t1, _, _ := procCPU(proc.Pid())
		time.Sleep(200 * time.Millisecond) // let the queue drain
		after, err := p.status(b, s1)
		if err != nil {
			b.Fatal(err)
		}
		stayed := 0.0
		if after.State == carp.Master && after.Transitions == before.Transitions {
			stayed = 1
		}
		rej := after.Rejected.Total() - before.Rejected.Total()
		b.ReportMetric(float64(rej)/dur.Seconds(), "rejected/s")
		b.ReportMetric(float64(sent)/dur.Seconds(), "forged_sent/s")
		b.ReportMetric(stayed, "stayed_master")
		b.ReportMetric(float64(t1-t0)/100/dur.Seconds()*100, "cpu_%")
	}
}

// timeTakeover stops the master with the benchmark's timer running and
// returns how long until the backup's first advert as master.
func timeTakeover(b *testing.B, stopMaster func() error, backupAdvert func() (time.Time, error)) time.Duration {
	b.StartTimer()
	defer b.StopTimer()
	stopped := time.Now()
	if err := stopMaster(); err != nil {
		b.Fatal(err)
	}
	at, err := backupAdvert()
	if err != nil {
		b.Fatal(err)
	}
	return at.Sub(stopped)
}
