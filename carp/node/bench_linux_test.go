package node

import (
	"fmt"
	"net/netip"
	"os"
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
// and returns when it arrived.
func firstAdvertFrom(link *PacketLink, src netip.Addr, within time.Duration) (time.Time, error) {
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
		f, err := carp.ParseFrame(buf[:n])
		if err != nil || f.Src != src || len(f.Payload) < carp.HeaderLen {
			continue
		}
		if f.Payload[5] == carp.BowOut { // a bow-out is a departure, not a takeover
			continue
		}
		return at, nil
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
					b.StartTimer()
					stopped := time.Now()
					if err := master.Signal(stop.sig); err != nil {
						b.Fatal(err)
					}
					at, err := firstAdvertFrom(watch, netip.MustParseAddr("172.27.27.12"), 10*time.Second)
					if err != nil {
						b.Fatal(err)
					}
					total += at.Sub(stopped)
					b.StopTimer()
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

// BenchmarkIdleNode measures the CPU share and resident memory of an idle
// carpvm node (MASTER, advbase 1) over a few seconds.
func BenchmarkIdleNode(b *testing.B) {
	const clkTck = 100 // USER_HZ on Linux
	for range b.N {
		b.StopTimer()
		p := newPairLab(b)
		proc, sock := p.node(b, p.r1, 0)
		p.waitState(b, "r1", sock, carp.Master, 15*time.Second)
		t0, _, err := procCPU(proc.Pid())
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		time.Sleep(4 * time.Second)
		t1, rss, err := procCPU(proc.Pid())
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		b.ReportMetric(float64(t1-t0)/clkTck/el.Seconds()*100, "cpu_%")
		b.ReportMetric(float64(rss)/1024, "rss_MiB")
	}
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
