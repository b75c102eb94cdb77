package node

import (
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// BenchmarkTakeoverLateness kills a carpvm master (advskew 0) and measures
// on the wire, from a client's port, how much later than its master-down
// interval the carpvm backup (advskew 100) sends its first advert as
// master: from the master's last advert to the backup's first, minus
// 3*advbase + advskew/256 s (advbase 0: 3*advskew/256 s). It does so at
// advbase 1 and 0, quiet and under a flood of forged adverts at floodRate
// to both. late_ms is what the receive path (ring and batches included)
// adds; the client's own read latency is in it too.
func BenchmarkTakeoverLateness(b *testing.B) {
	for _, advbase := range []uint8{1, 0} {
		for _, flooded := range []bool{false, true} {
			name := fmt.Sprintf("advbase%d/quiet", advbase)
			if flooded {
				name = fmt.Sprintf("advbase%d/flood", advbase)
			}
			b.Run(name, func(b *testing.B) {
				masterDown := 3*time.Duration(advbase)*time.Second + backupSkew*time.Second/256
				if advbase == 0 {
					masterDown = 3 * backupSkew * time.Second / 256
				}
				var late time.Duration
				for range b.N {
					late += takeoverLateness(b, advbase, flooded, masterDown)
				}
				b.ReportMetric(float64(late.Microseconds())/1e3/float64(b.N), "late_ms")
				b.ReportMetric(float64(masterDown.Milliseconds()), "master_down_ms")
			})
		}
	}
}

func takeoverLateness(b *testing.B, advbase uint8, flooded bool, masterDown time.Duration) time.Duration {
	b.StopTimer()
	p := newPairLab(b)
	ab := []string{"--advbase", fmt.Sprint(advbase)}
	master, s1 := p.node(b, p.r1, 0, ab...)
	p.waitState(b, "r1", s1, carp.Master, 15*time.Second)
	_, s2 := p.node(b, p.r2, backupSkew, ab...)
	p.waitState(b, "r2", s2, carp.Backup, 5*time.Second)
	watch := watchAdverts(b, p.client, "172.27.27.11", "172.27.27.12")
	time.Sleep(time.Second)
	var flood chan struct{}
	if flooded {
		evil := p.host(b, "ev", "172.27.27.13/28")
		frames := forgedAdverts(1024)
		flood = make(chan struct{})
		go func() {
			defer close(flood)
			floodFrames(b, evil, frames, floodRate, masterDown+2*time.Second)
		}()
		time.Sleep(500 * time.Millisecond)
	}
	b.StartTimer()
	killed := time.Now()
	if err := master.Signal(syscall.SIGKILL); err != nil {
		b.Fatal(err)
	}
	var last, first time.Time
	eventually(b, "the backup's first advert as master", masterDown+5*time.Second, func() (bool, string) {
		watch.mu.Lock()
		defer watch.mu.Unlock()
		for _, at := range watch.seen[netip.MustParseAddr("172.27.27.11")] {
			if at.Before(killed) {
				last = at
			}
		}
		for _, at := range watch.seen[netip.MustParseAddr("172.27.27.12")] {
			if at.After(killed) {
				first = at
				return true, ""
			}
		}
		return false, "none yet"
	})
	b.StopTimer()
	if flood != nil {
		<-flood
	}
	if st, err := p.status(b, s2); err != nil || st.State != carp.Master {
		b.Fatalf("r2 is %s (%v); want MASTER", st.State, err)
	}
	return first.Sub(last) - masterDown
}
