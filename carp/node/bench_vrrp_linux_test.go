package node

import (
	"net/netip"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// firstVRRPFrom waits for the first VRRPv3 advert from src with a
// priority other than 0 (a stopping master's) and returns when it arrived.
func firstVRRPFrom(link *PacketLink, src netip.Addr, within time.Duration) (time.Time, error) {
	return firstFrameFrom(link, src, within, func(p []byte) bool {
		return len(p) >= carp.VRRPHeaderLen && p[0] == 0x31 && p[2] != carp.VRRPPriorityStop
	})
}

// drainLink reads and drops what the link queued so far.
func drainLink(link *PacketLink) {
	buf := make([]byte, 2048)
	for {
		if err := link.conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
			return
		}
		if _, err := link.ReadFrame(buf); err != nil {
			return
		}
	}
}

// vrrpImpls are the VRRPv3 routers compared: carpvm's node and keepalived,
// each at interval 1 s, master priority 200 and backup 100.
// start returns how to stop the router: SIGKILL crashes it, SIGTERM stops
// it gracefully.
var vrrpImpls = []struct {
	name  string
	start func(b *testing.B, p *pairLab, r *netns.Port, prio int) func(syscall.Signal) error
}{
	{"carpvm", func(b *testing.B, p *pairLab, r *netns.Port, prio int) func(syscall.Signal) error {
		proc, _ := p.vrrpNode(b, r, prio)
		return func(sig syscall.Signal) error { return proc.Signal(sig) }
	}},
	{"keepalived", func(b *testing.B, p *pairLab, r *netns.Port, prio int) func(syscall.Signal) error {
		proc, _ := p.keepalived(b, r, prio)
		return func(sig syscall.Signal) error {
			if sig == syscall.SIGKILL {
				killKeepalived(b, proc, filepath.Join(p.dir, r.NS.Short+"-ka-vrrp.pid"))
				return nil
			}
			return proc.Signal(sig)
		}
	}},
}

// BenchmarkVRRPTakeover measures, for a carpvm VRRPv3 pair and a
// keepalived pair in the same lab, the time from stopping the master
// (SIGKILL, or SIGTERM: priority 0), right after one of its adverts, to
// the backup's first advert as master, seen on the wire from the client's
// port. expected_s is the
// backup's Master_Down_Interval after a kill, its Skew_Time after a
// graceful stop (carp.VRRPMasterDown, carp.VRRPSkew).
func BenchmarkVRRPTakeover(b *testing.B) {
	for _, impl := range vrrpImpls {
		for _, stop := range []struct {
			name     string
			sig      syscall.Signal
			expected time.Duration
		}{{"kill", syscall.SIGKILL, carp.VRRPMasterDown(100, 100)}, {"graceful", syscall.SIGTERM, carp.VRRPSkew(100, 100)}} {
			b.Run(impl.name+"/"+stop.name, func(b *testing.B) {
				var total time.Duration
				for range b.N {
					b.StopTimer()
					p := newPairLab(b)
					watch := openLink(b, p.client, LinkOptions{})
					master := impl.start(b, p, p.r1, 200)
					if _, err := firstVRRPFrom(watch, netip.MustParseAddr("172.27.27.11"), 15*time.Second); err != nil {
						b.Fatal(err)
					}
					impl.start(b, p, p.r2, 100)
					time.Sleep(2 * time.Second) // the backup settles
					// Stop right after one of the master's adverts, so that
					// both implementations are measured from the same point
					// of the interval: drop what queued while settling first.
					drainLink(watch)
					if _, err := firstVRRPFrom(watch, netip.MustParseAddr("172.27.27.11"), 5*time.Second); err != nil {
						b.Fatal(err)
					}
					total += timeTakeover(b, func() error { return master(stop.sig) }, func() (time.Time, error) {
						return firstVRRPFrom(watch, netip.MustParseAddr("172.27.27.12"), 10*time.Second)
					})
				}
				b.ReportMetric(total.Seconds()/float64(b.N), "takeover_s")
				b.ReportMetric(stop.expected.Seconds(), "expected_s")
			})
		}
	}
}
