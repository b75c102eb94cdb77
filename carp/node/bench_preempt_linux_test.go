package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/carpvm/carpvm/internal/netns"
)

// vipEvents records, from the kernel's address notifications in one
// namespace, when the VIP was added and removed there.
type vipEvents struct {
	mu     sync.Mutex
	added  []time.Time
	remove []time.Time
}

func watchVIP(b *testing.B, r *netns.Port) *vipEvents {
	b.Helper()
	ev := &vipEvents{}
	ch := make(chan netlink.AddrUpdate, 256)
	done := make(chan struct{})
	b.Cleanup(func() { close(done) })
	if err := r.NS.Do(func() error { return netlink.AddrSubscribe(ch, done) }); err != nil {
		b.Fatal(err)
	}
	go func() {
		for u := range ch {
			if u.LinkAddress.IP.String() != e2eVIP {
				continue
			}
			now := time.Now()
			ev.mu.Lock()
			if u.NewAddr {
				ev.added = append(ev.added, now)
			} else {
				ev.remove = append(ev.remove, now)
			}
			ev.mu.Unlock()
		}
	}()
	return ev
}

// first returns the first add (or removal) after from, waiting up to within.
func (ev *vipEvents) first(add bool, from time.Time, within time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(within)
	for {
		ev.mu.Lock()
		list := ev.remove
		if add {
			list = ev.added
		}
		for _, at := range list {
			if !at.Before(from) {
				ev.mu.Unlock()
				return at, true
			}
		}
		ev.mu.Unlock()
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// holds reports whether the VIP is on r now.
func holdsVIP(r *netns.Port) bool {
	out, _ := r.NS.Run(context.Background(), "ip", "-o", "addr", "show")
	return strings.Contains(out, " "+e2eVIP+"/")
}

// preemptPair is one implementation's pair: r1 preferred (preempting), r2
// the other. Each action returns false when the implementation has no
// such case.
type preemptPair struct {
	name                                                   string
	startPreferred                                         func()
	stopPreferred, demote, promote, freeze, thaw, linkDown func() bool
}

// dualMaster runs one preemption of a pair whose preferred router r1 holds
// the group: leave makes r1 give the group up, back makes it return; the
// window is from r1's VIP coming back (or from back, when r1 kept it) until
// r2's VIP goes.
func dualMaster(b *testing.B, p *pairLab, e1, e2 *vipEvents, leave, back func() bool, r1Keeps bool) (time.Duration, bool) {
	b.Helper()
	eventually(b, "r1 holding the VIP alone", 20*time.Second, func() (bool, string) {
		return holdsVIP(p.r1) && !holdsVIP(p.r2), ""
	})
	time.Sleep(2 * time.Second)
	if !leave() {
		return 0, false
	}
	eventually(b, "r2 taking the VIP", 20*time.Second, func() (bool, string) { return holdsVIP(p.r2), "" })
	time.Sleep(3 * time.Second)
	from := time.Now()
	if !back() {
		return 0, false
	}
	start := from
	if !r1Keeps {
		at, ok := e1.first(true, from, 20*time.Second)
		if !ok {
			b.Fatalf("r1 never took the VIP back")
		}
		start = at
	}
	end, ok := e2.first(false, from, 20*time.Second)
	if !ok {
		b.Fatalf("r2 never gave the VIP up")
	}
	return max(end.Sub(start), 0), true
}

// BenchmarkPreemptionDualMaster measures how long the VIP is on both
// routers when the preferred router (advskew 0 / priority 200, preempting)
// takes its group back: after a restart, after its link returns, after its
// demotion is lifted and after a freeze (SIGSTOP, as a VM stun) ends; for
// carpvm, ucarp and keepalived pairs in the same lab. The goal is at most one
// advert's delivery time. n/a: the implementation has no such case (ucarp
// exits when its link goes down; neither peer has a runtime demotion).
func BenchmarkPreemptionDualMaster(b *testing.B) {
	cases := []string{"restart", "link-return", "demote-promote", "freeze-thaw"}
	noCase := map[string]bool{"ucarp/link-return": true, "ucarp/demote-promote": true, "keepalived/demote-promote": true}
	for _, impl := range []string{"carpvm", "ucarp", "keepalived"} {
		for _, c := range cases {
			b.Run(impl+"/"+c, func(b *testing.B) {
				if noCase[impl+"/"+c] {
					b.ReportMetric(-1, "dual_master_ms")
					profileSummaries.add(fmt.Sprintf("preemption dual master %-10s %-15s n/a", impl, c))
					return
				}
				for range b.N {
					p := newPairLab(b)
					pair := newPreemptPair(b, p, impl)
					e1, e2 := watchVIP(b, p.r1), watchVIP(b, p.r2)
					pair.startPreferred()
					var d time.Duration
					ok := true
					switch c {
					case "restart":
						d, ok = dualMaster(b, p, e1, e2, pair.stopPreferred, func() bool { pair.startPreferred(); return true }, false)
					case "link-return":
						run, _ := inNamespace(b, context.Background(), p.r1)
						d, ok = dualMaster(b, p, e1, e2, pair.linkDown, func() bool { run("ip", "link", "set", p.r1.IfName, "up"); return true }, false)
					case "demote-promote":
						d, ok = dualMaster(b, p, e1, e2, pair.demote, pair.promote, false)
					case "freeze-thaw":
						d, ok = dualMaster(b, p, e1, e2, pair.freeze, pair.thaw, true)
					}
					if !ok {
						b.ReportMetric(-1, "dual_master_ms")
						profileSummaries.add(fmt.Sprintf("preemption dual master %-10s %-15s n/a", impl, c))
						return
					}
					ms := float64(d.Microseconds()) / 1000
					b.ReportMetric(ms, "dual_master_ms")
					profileSummaries.add(fmt.Sprintf("preemption dual master %-10s %-15s %8.1f ms", impl, c, ms))
				}
			})
		}
	}
}

func newPreemptPair(b *testing.B, p *pairLab, impl string) *preemptPair {
	b.Helper()
	down := func() bool {
		run, _ := inNamespace(b, context.Background(), p.r1)
		run("ip", "link", "set", p.r1.IfName, "down")
		return true
	}
	na := func() bool { return false }
	switch impl {
	case "carpvm":
		sock := filepath.Join(p.dir, "r1.sock")
		var r1 *netns.Process
		p.nodeOn(b, p.r2, 100, filepath.Join(p.dir, "r2.sock"), "--preempt")
		ctl := func(cmd string) bool {
			out, err := exec.Command(p.bin, "node", cmd, "--control-socket", sock).CombinedOutput()
			if err != nil {
				b.Fatalf("carpvm node %s: %v\n%s", cmd, err, out)
			}
			return true
		}
		return &preemptPair{name: impl,
			startPreferred: func() { r1 = p.nodeOn(b, p.r1, 0, sock, "--preempt") },
			stopPreferred: func() bool {
				_ = r1.Signal(syscall.SIGTERM)
				_ = r1.Wait(10 * time.Second)
				return true
			},
			demote:   func() bool { return ctl("demote") },
			promote:  func() bool { return ctl("promote") },
			freeze:   func() bool { return r1.Signal(syscall.SIGSTOP) == nil },
			thaw:     func() bool { return r1.Signal(syscall.SIGCONT) == nil },
			linkDown: down,
		}
	case "ucarp":
		if _, err := exec.LookPath("ucarp"); err != nil {
			b.Skip("skipping: ucarp not installed (make test-deps installs it)")
		}
		var r1 *netns.Process
		start := func(r *netns.Port, self string, skew int) *netns.Process {
			up := filepath.Join(p.dir, r.NS.Short+"-up.sh")
			down := filepath.Join(p.dir, r.NS.Short+"-down.sh")
			_ = os.WriteFile(up, []byte("#!/bin/sh\nip addr add \"$2\"/28 dev \"$1\" 2>/dev/null\n"), 0o755)
			_ = os.WriteFile(down, []byte("#!/bin/sh\nip addr del \"$2\"/28 dev \"$1\" 2>/dev/null\n"), 0o755)
			return startLogged(b, r, "ucarp", "ucarp", "--interface="+r.IfName, "--srcip="+self, "--vhid=1",
				"--passfile="+filepath.Join(p.dir, "pass"), "--addr="+e2eVIP, "--advbase=1", fmt.Sprintf("--advskew=%d", skew),
				"--upscript="+up, "--downscript="+down, "--shutdown", "--preempt")
		}
		start(p.r2, "172.27.27.12", 100)
		return &preemptPair{name: impl,
			startPreferred: func() { r1 = start(p.r1, "172.27.27.11", 0) },
			stopPreferred: func() bool {
				_ = r1.Signal(syscall.SIGTERM)
				_ = r1.Wait(10 * time.Second)
				return true
			},
			demote: na, promote: na, linkDown: na,
			freeze: func() bool { return r1.Signal(syscall.SIGSTOP) == nil },
			thaw:   func() bool { return r1.Signal(syscall.SIGCONT) == nil },
		}
	default: // keepalived, VRRPv3
		var r1 *netns.Process
		p.keepalivedFor(b, p.r2, "r2-ka", e2eCIDR, 100)
		child := func() int {
			raw, err := os.ReadFile(filepath.Join(p.dir, "r1-ka-vrrp.pid"))
			if err != nil {
				b.Fatalf("keepalived's VRRP child: %v", err)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
			return pid
		}
		return &preemptPair{name: impl,
			startPreferred: func() { r1, _ = p.keepalivedFor(b, p.r1, "r1-ka", e2eCIDR, 200) },
			stopPreferred: func() bool {
				_ = r1.Signal(syscall.SIGTERM)
				_ = r1.Wait(10 * time.Second)
				return true
			},
			demote: na, promote: na, linkDown: down,
			freeze: func() bool { return syscall.Kill(child(), syscall.SIGSTOP) == nil },
			thaw:   func() bool { return syscall.Kill(child(), syscall.SIGCONT) == nil },
		}
	}
}
