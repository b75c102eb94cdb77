package vsphere_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// gatherRoundTrips gathers once and returns the SOAP round trips it took.
func gatherRoundTrips(t testing.TB, s *vsphere.Session) (int, int) {
	t.Helper()
	before := s.RoundTrips()
	f, err := s.Gather(context.Background(), config.Simulator())
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	pub, _ := f.Network("Public")
	return s.RoundTrips() - before, len(pub.Attached)
}

// The number of round trips does not grow with the inventory.
func TestGatherRoundTripsConstant(t *testing.T) {
	got := map[int]int{}
	for _, n := range []int{10, 500} {
		s := open(t, startSim(t, sim.Scaled(n)).VSphereConfig())
		rt, attached := gatherRoundTrips(t, s)
		// Every tenth filler VM has a NIC on Public: proof the big
		// inventory was really read.
		if want := (n + 9) / 10; attached != want {
			t.Errorf("Scaled(%d): %d other VMs on Public, want %d", n, attached, want)
		}
		got[n] = rt
	}
	if got[10] != got[500] {
		t.Errorf("round trips: %d for 10 VMs, %d for 500; want the same", got[10], got[500])
	}
	if got[10] != 4 {
		t.Errorf("Gather took %d round trips, want 4 (create view, retrieve, destroy view, retrieve details)", got[10])
	}
}

// BenchmarkGather reports Gather's time and round trips on simulated
// inventories of about 10, 500 and 5,000 VMs. Building the 5,000-VM
// simulator takes tens of seconds on two cores; it is reported as build-s
// and not timed.
func BenchmarkGather(b *testing.B) {
	for _, n := range []int{10, 500, 5000} {
		var s *vsphere.Session
		var build time.Duration
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			if s == nil {
				start := time.Now()
				srv, err := sim.Start(context.Background(), sim.Scaled(n), "")
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(srv.Close)
				build = time.Since(start)
				s, err = vsphere.Open(context.Background(), srv.VSphereConfig())
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			rt := 0
			for b.Loop() {
				n, _ := gatherRoundTrips(b, s)
				rt += n
			}
			b.ReportMetric(float64(rt)/float64(b.N), "round-trips/op")
			b.ReportMetric(build.Seconds(), "build-s")
		})
	}
}

// An inventory larger than a page is read page by page: one more round
// trip per extra page of the inventory, and the same facts as in one page.
func TestGatherPages(t *testing.T) {
	srv := startSim(t, sim.Scaled(150))
	whole := open(t, srv.VSphereConfig())
	paged := open(t, srv.VSphereConfig())
	const page = 40
	paged.SetPageObjects(page)
	want, err := whole.Gather(context.Background(), config.Simulator())
	if err != nil {
		t.Fatal(err)
	}
	before := paged.RoundTrips()
	got, err := paged.Gather(context.Background(), config.Simulator())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("facts read in pages of %d differ (-whole +paged):\n%s", page, diff)
	}
	// The view holds 152 VMs, 3 hosts and their 3 compute resources, 4
	// networks, 3 datastores: 165 objects, 5 pages of 40. The details
	// (2 routers, 15 filler VMs on Public, 1 host) fit in one.
	const objects = 152 + 3 + 3 + 4 + 3
	if rt, want := paged.RoundTrips()-before, 4+(objects+page-1)/page-1; rt != want {
		t.Errorf("Gather in pages of %d took %d round trips, want %d (4 + one per extra page of %d objects)", page, rt, want, objects)
	}
}
