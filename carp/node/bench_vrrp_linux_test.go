package node

import (
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// firstVRRPFrom waits for the first VRRPv3 advert from src with a
// priority other than 0 (a stopping master's) and returns when it arrived.
func firstVRRPFrom(link *PacketLink, src netip.Addr, within time.Duration) (time.Time, error) {
	deadline := time.Now().Add(within)
	buf := make([]byte, 2048)
	for {
		if err := link.conn.SetReadDeadline(deadline); err != nil {
			return time.Time{}, err
		}
		n, err := link.ReadFrame(buf)
		if err != nil {
			return time.Time{}, fmt.Errorf("no VRRPv3 advert from %s within %s: %w", src, within, err)
		}
		at := time.Now()
		f, err := carp.ParseFrame(buf[:n])
		if err != nil || f.Src != src || len(f.Payload) < carp.VRRPHeaderLen || f.Payload[0] != 0x31 || f.Payload[2] == carp.VRRPPriorityStop {
			continue
		}
		return at, nil
	}
}

// vrrpImpls are the VRRPv3 routers compared: carpvm's node and keepalived,
// each at interval 1 s, master priority 200 and backup 100.
var vrrpImpls = []struct {
	name  string
	start func(b *testing.B, p *pairLab, r *netns.Port, prio int) *netns.Process
}{
	{"carpvm", func(b *testing.B, p *pairLab, r *netns.Port, prio int) *netns.Process {
		proc, _ := p.vrrpNode(b, r, prio)
		return proc
	}},
	{"keepalived", func(b *testing.B, p *pairLab, r *netns.Port, prio int) *netns.Process {
		proc, _ := p.keepalived(b, r, prio, "")
		return proc
	}},
}

// BenchmarkVRRPTakeover measures, for a carpvm VRRPv3 pair and a
// keepalived pair in the same lab, the time from stopping the master
// (SIGKILL, or SIGTERM: priority 0) to the backup's first advert as
// master, seen on the wire from the client's port. expected_s is the
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
					b.StartTimer()
					stopped := time.Now()
					if err := master.Signal(stop.sig); err != nil {
						b.Fatal(err)
					}
					at, err := firstVRRPFrom(watch, netip.MustParseAddr("172.27.27.12"), 10*time.Second)
					if err != nil {
						b.Fatal(err)
					}
					total += at.Sub(stopped)
					b.StopTimer()
				}
				b.ReportMetric(total.Seconds()/float64(b.N), "takeover_s")
				b.ReportMetric(stop.expected.Seconds(), "expected_s")
			})
		}
	}
}
