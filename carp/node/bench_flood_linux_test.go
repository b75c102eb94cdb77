package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// floodRate is the rate of forged adverts BenchmarkForgedFlood aims at;
// floodFor how long it floods.
const (
	floodRate = 120_000
	floodFor  = 5 * time.Second
)

// BenchmarkForgedFlood runs carpvm (r1) and ucarp (r2) side by side, both
// MASTER of vhid 1 with different passphrases (each rejects the other's
// adverts), and floods both at once from a third host with forged adverts
// of vhid 1 (valid checksum, bad HMAC, one sender) at floodRate. Per
// implementation it reports the CPU it spent per forged advert, the
// adverts it sent during the flood against the expected count (one per
// advbase of 1 s) and its longest silence, and whether it stayed MASTER;
// carpvm's rejections are checked to be counted as bad_hmac. A second,
// shorter flood under perf (when installed) tells where each spends it,
// printed at the end of the run.
func BenchmarkForgedFlood(b *testing.B) {
	if _, err := exec.LookPath("ucarp"); err != nil {
		b.Skip("skipping: ucarp not installed (make test-deps installs it)")
	}
	for range b.N {
		b.StopTimer()
		p := newPairLab(b)
		cv, s1 := p.node(b, p.r1, 0)
		p.waitState(b, "carpvm r1", s1, carp.Master, 15*time.Second)
		uc, ustate := p.ucarp(b, p.r2, "172.27.27.12", 0, p.passFile(b, "upass", "another-pass-26"))
		waitRole(b, "ucarp", ustate, "MASTER", 15*time.Second)
		time.Sleep(time.Second) // both settle, each rejecting the other

		watch := watchAdverts(b, p.client, "172.27.27.11", "172.27.27.12")
		evil := p.host(b, "ev", "172.27.27.13/28")
		frames := forgedAdverts(1024)
		before, err := p.status(b, s1)
		if err != nil {
			b.Fatal(err)
		}
		dropped0 := ringFull(b, p, s1)
		c0, u0 := cpuNs(b, cv.Pid()), cpuNs(b, uc.Pid())
		l0 := strings.Count(uc.Output(), "Bad digest")
		from := time.Now()
		sent, dur := floodFrames(b, evil, frames, floodRate, floodFor)
		c1, u1 := cpuNs(b, cv.Pid()), cpuNs(b, uc.Pid())
		to := from.Add(dur)
		time.Sleep(300 * time.Millisecond) // the last frames drain
		after, err := p.status(b, s1)
		if err != nil {
			b.Fatal(err)
		}
		dropped := ringFull(b, p, s1) - dropped0
		b.ReportMetric(float64(sent)/dur.Seconds(), "forged/s")
		expected := dur.Seconds() / 1 // advbase 1
		for _, r := range []struct {
			name string
			cpu  time.Duration
			src  string
		}{{"carpvm", c1 - c0, "172.27.27.11"}, {"ucarp", u1 - u0, "172.27.27.12"}} {
			n, gap := watch.during(r.src, from, to)
			b.ReportMetric(float64(r.cpu.Nanoseconds())/1e3/float64(sent), r.name+"_cpu_us/forged")
			b.ReportMetric(float64(n), r.name+"_adverts_sent")
			b.ReportMetric(gap.Seconds(), r.name+"_max_gap_s")
			// A missed interval is a silence of two: ucarp, the reference,
			// is only reported.
			if r.name == "carpvm" && (float64(n) < expected-1 || gap > 1500*time.Millisecond) {
				b.Errorf("%s sent %d adverts in %s of flood (expected %.0f), longest silence %s", r.name, n, dur, expected, gap)
			}
		}
		b.ReportMetric(expected, "adverts_expected")
		b.ReportMetric(float64((c1-c0).Nanoseconds())/float64((u1-u0).Nanoseconds()), "carpvm/ucarp")
		stayed := 0.0
		if after.State == carp.Master && after.Transitions == before.Transitions && peerRole(ustate) == "MASTER" {
			stayed = 1
		}
		b.ReportMetric(stayed, "both_stayed_master")
		d := after.Rejected.Sub(before.Rejected)
		if d.Total() != d.Of(carp.RejectHMAC) {
			b.Errorf("carpvm counted other rejections than bad_hmac: %s", rejectsString(d))
		}
		b.ReportMetric(float64(d.Of(carp.RejectHMAC))/float64(sent), "carpvm_bad_hmac/forged")
		// What the ring had no room for is counted too (ring_full): the
		// two should account for every forged advert.
		b.ReportMetric(float64(dropped)/float64(sent), "carpvm_ring_full/forged")
		// ucarp logs a line per rejected advert: what it read of the flood.
		b.ReportMetric(float64(strings.Count(uc.Output(), "Bad digest")-l0)/float64(sent), "ucarp_bad_digest/forged")
		profileFlood(b, evil, frames, map[string]int{"carpvm": cv.Pid(), "ucarp": uc.Pid()})
	}
}

// ringFull is the node's count of frames its ring had no room for.
func ringFull(b *testing.B, p *pairLab, sock string) uint64 {
	st, err := p.nodeStatus(b, p.r1, "--control-socket", sock)
	if err != nil || len(st.Interfaces) != 1 {
		b.Fatalf("node status: %v (%+v)", err, st.Interfaces)
	}
	return st.Interfaces[0].Dropped
}

// forgedAdverts returns n frames of forged adverts of vhid 1 from
// 172.27.27.13: valid IPv4 and CARP checksums, counters 1..n, an HMAC
// under another passphrase.
func forgedAdverts(n int) [][]byte {
	wrong, _ := carp.NewKey([]byte("forged"))
	vips := []netip.Addr{netip.MustParseAddr(e2eVIP)}
	out := make([][]byte, n)
	for i := range out {
		c := uint64(i + 1)
		adv := carp.Advert{VHID: 1, AdvBase: 1, Counter: c, HMAC: wrong.Sum(1, vips, c)}
		pl, _ := adv.MarshalBinary()
		out[i] = carp.AppendFrame(nil, carp.Frame{SrcMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x13},
			Src: netip.MustParseAddr("172.27.27.13"), Dst: carp.GroupV4, TOS: carp.TOSLowDelay, Payload: pl})
	}
	return out
}

// floodFrames sends frames round robin from p's interface at rate per
// second for d (fewer when the host cannot keep up) and returns how many
// it sent and for how long. It sends batches of floodBatch frames per
// sendmmsg(2), so that the sender's syscalls are not what limits the rate.
func floodFrames(t testing.TB, p *netns.Port, frames [][]byte, rate int, d time.Duration) (int, time.Duration) {
	t.Helper()
	fd := rawSocket(t, p)
	const floodBatch = 32
	iovs := make([]unix.Iovec, len(frames))
	msgs := make([]unix.Mmsghdr, len(frames)+floodBatch)
	for i := range msgs {
		f := i % len(frames)
		iovs[f].Base = &frames[f][0]
		iovs[f].SetLen(len(frames[f]))
		msgs[i].Hdr.Iov = &iovs[f]
		msgs[i].Hdr.SetIovlen(1)
	}
	start := time.Now()
	sent := 0
	for {
		el := time.Since(start)
		if el >= d {
			break
		}
		if ahead := time.Duration(sent)*time.Second/time.Duration(rate) - el; ahead > 0 {
			time.Sleep(ahead)
		}
		first := sent % len(frames)
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[first])), floodBatch, 0, 0, 0)
		if errno != 0 {
			t.Fatalf("sendmmsg: %v", errno)
		}
		sent += int(n)
	}
	return sent, time.Since(start)
}

// rawSocket opens a blocking AF_PACKET socket bound to p's interface, for
// sending as fast as the kernel takes frames; it is closed at the end of
// the test.
func rawSocket(t testing.TB, p *netns.Port) int {
	t.Helper()
	fd := -1
	if err := p.NS.Do(func() error {
		ifi, err := net.InterfaceByName(p.IfName)
		if err != nil {
			return err
		}
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if err != nil {
			return err
		}
		// Straight to the driver: the sender's qdisc is not under test.
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index, Protocol: 0})
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// cpuNs is the user+system CPU time of a process (all its threads), with
// the resolution of the scheduler's accounting (/proc/<pid>/task/*/schedstat)
// rather than clock ticks.
func cpuNs(t testing.TB, pid int) time.Duration {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of pid %d: %v", pid, err)
	}
	var total time.Duration
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that just exited
		}
		var ns int64
		fmt.Sscan(string(b), &ns)
		total += time.Duration(ns)
	}
	return total
}

// advertWatch records when adverts from given IPv4 sources were seen.
type advertWatch struct {
	mu   sync.Mutex
	seen map[netip.Addr][]time.Time
}

// watchAdverts listens on p's interface, with a kernel filter that admits
// only protocol-112 packets from srcs (so that a flood does not swamp it),
// until the end of the test.
func watchAdverts(t testing.TB, p *netns.Port, srcs ...string) *advertWatch {
	t.Helper()
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offEtherType, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipFalse: 2 + uint8(len(srcs))},
		bpf.LoadAbsolute{Off: offIPProto, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoCARP, SkipFalse: 1 + uint8(len(srcs))},
		bpf.LoadAbsolute{Off: 14 + 12, Size: 4},
	}
	for i, s := range srcs {
		a := netip.MustParseAddr(s).As4()
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: binary.BigEndian.Uint32(a[:]), SkipTrue: uint8(len(srcs) - i)})
	}
	prog = append(prog, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: 128})
	raw, err := bpf.Assemble(prog)
	if err != nil {
		t.Fatal(err)
	}
	var conn *packet.Conn
	if err := p.NS.Do(func() error {
		ifi, err := net.InterfaceByName(p.IfName)
		if err != nil {
			return err
		}
		conn, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: raw})
		if err != nil {
			return err
		}
		return conn.JoinGroup(carp.MulticastMAC(carp.GroupV4))
	}); err != nil {
		t.Fatal(err)
	}
	w := &advertWatch{seen: map[netip.Addr][]time.Time{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			at := time.Now()
			f, err := carp.ParseFrame(buf[:n])
			if err != nil || len(f.Payload) < carp.HeaderLen || f.Payload[5] == carp.BowOut {
				continue
			}
			w.mu.Lock()
			w.seen[f.Src] = append(w.seen[f.Src], at)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return w
}

// during returns how many adverts src sent between from and to, and the
// longest silence in that window (from the last advert before it).
func (w *advertWatch) during(src string, from, to time.Time) (int, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	var gap time.Duration
	last := time.Time{}
	for _, at := range w.seen[netip.MustParseAddr(src)] {
		if at.After(to) {
			break
		}
		if !at.Before(from) {
			n++
			if !last.IsZero() {
				gap = max(gap, at.Sub(last))
			}
		}
		last = at
	}
	if !last.IsZero() {
		gap = max(gap, to.Sub(last))
	}
	return n, gap
}

// profileSummaries collects the flood profiles, which TestMain prints at
// the end of the run: a benchmark's own log is cut at a few lines, and
// printing in the middle would split its result line.
var profileSummaries summaries

type summaries struct {
	mu    sync.Mutex
	lines []string
}

func (s *summaries) add(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, text)
}

func (s *summaries) print() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		fmt.Println(l)
	}
}

// profileFlood floods again for a few seconds with perf recording each
// process and logs the top symbols of each (perf's cpu-clock samples; the
// carpvm binary keeps its Go symbols; [vdso] is the clock). Without perf
// it says so.
func profileFlood(b *testing.B, from *netns.Port, frames [][]byte, pids map[string]int) {
	b.Helper()
	if _, err := exec.LookPath("perf"); err != nil {
		b.Log("perf not installed: no profile of the flood")
		return
	}
	dir := b.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range pids {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		wg.Go(func() {
			out, err := exec.CommandContext(ctx, "perf", "record", "-q", "-e", "cpu-clock", "-F", "4999",
				"-p", fmt.Sprint(pids[name]), "-o", filepath.Join(dir, name+".data"), "--", "sleep", "3").CombinedOutput()
			if err != nil {
				b.Logf("perf record %s: %v\n%s", name, err, out)
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	floodFrames(b, from, frames, floodRate, 2500*time.Millisecond)
	wg.Wait()
	for _, name := range names {
		out, err := exec.CommandContext(ctx, "perf", "report", "-i", filepath.Join(dir, name+".data"), "--stdio",
			"--no-children", "--sort", "dso,sym", "--percent-limit", "1.5").Output()
		if err != nil {
			b.Logf("perf report %s: %v", name, err)
			continue
		}
		var top []string
		for _, line := range strings.Split(string(out), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && len(top) < 15 {
				top = append(top, line)
			}
		}
		profileSummaries.add(fmt.Sprintf("%s under a %d/s forged flood, where the CPU goes (perf, top symbols):\n  %s", name, floodRate, strings.Join(top, "\n  ")))
	}
}
