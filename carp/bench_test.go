package carp

import (
	"net/netip"
	"testing"
)

// BenchmarkUnmarshalVerify decodes and verifies captured ucarp adverts.
func BenchmarkUnmarshalVerify(b *testing.B) {
	frames, _ := vectorAdverts(b)
	key, _ := NewKey(vectorPass)
	s := newSigner(key, 1, []netip.Addr{vectorVIP})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var a Advert
		if err := a.UnmarshalBinary(frames[i%len(frames)].Payload); err != nil {
			b.Fatal(err)
		}
		if !s.verify(&a) {
			b.Fatal("HMAC does not verify")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "adverts/s")
}

// BenchmarkStepReject feeds a MASTER forged adverts (bad HMAC), the work of
// a flood; it must stay MASTER.
func BenchmarkStepReject(b *testing.B) {
	key := netKey(b)
	m, _ := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: key, Counter: 1})
	m.Start(t0)
	m.Tick(m.Deadline())
	forged := Advert{VHID: 1, AdvBase: 1, Counter: 5}
	p, _ := forged.MarshalBinary()
	r := Received{Src: netip.MustParseAddr("172.27.27.66"), TTL: 255, Payload: p}
	now := t0.Add(4 * sec)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Step(now, r)
	}
	if m.State() != Master || m.Status().Rejected.Of(RejectHMAC) != uint64(b.N) {
		b.Fatalf("state %v, %d rejected", m.State(), m.Status().Rejected.Of(RejectHMAC))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rejects/s")
}

// BenchmarkStepReplay feeds a BACKUP authentic but replayed adverts, the
// most expensive rejection (HMAC, then the replay memory).
func BenchmarkStepReplay(b *testing.B) {
	key := netKey(b)
	m, _ := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: key, Counter: 1})
	m.Start(t0)
	src := netip.MustParseAddr("172.27.27.12")
	var last []byte
	for c := range uint64(replayWindow) { // fill the window with random-looking counters
		c = c*0x9e3779b97f4a7c15 + 12345
		a := Advert{VHID: 1, AdvBase: 1, Counter: c, HMAC: key.Sum(1, netVIPs, c)}
		last, _ = a.MarshalBinary()
		m.Step(t0, Received{Src: src, TTL: 255, Payload: last})
	}
	r := Received{Src: src, TTL: 255, Payload: last}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Step(t0, r)
	}
	if m.Status().Rejected.Of(RejectReplay) != uint64(b.N) {
		b.Fatalf("%d replays rejected of %d", m.Status().Rejected.Of(RejectReplay), b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rejects/s")
}

// BenchmarkFrame appends and parses an advert frame, per IP family: the
// framing work of every advert sent and received.
func BenchmarkFrame(b *testing.B) {
	for _, tc := range []struct {
		name string
		f    Frame
	}{{"ipv4", sampleFrame(b)}, {"ipv6", sampleFrame6(b)}} {
		b.Run(tc.name+"/append", func(b *testing.B) {
			buf := make([]byte, 0, 128)
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendFrame(buf[:0], tc.f)
			}
		})
		b.Run(tc.name+"/parse", func(b *testing.B) {
			raw := AppendFrame(nil, tc.f)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseFrame(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
