package carp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	vectorPass = []byte("123piano2026%")
	vectorVIP  = netip.MustParseAddr("172.27.27.14")
	vectorA    = netip.MustParseAddr("172.27.27.11") // first master, advskew 0
	vectorB    = netip.MustParseAddr("172.27.27.12") // backup then master, advskew 100
)

// vectorAdverts returns the capture's CARP frames, parsed (ARP left out).
func vectorAdverts(t testing.TB) ([]Frame, []time.Time) {
	t.Helper()
	var frames []Frame
	var times []time.Time
	for i, p := range readCapture(t, vectorPath) {
		if len(p.Data) >= 14 && binary.BigEndian.Uint16(p.Data[12:14]) == 0x0806 {
			continue // the ucarp nodes' gratuitous ARP
		}
		f, err := ParseFrame(p.Data)
		if err != nil {
			t.Fatalf("packet %d: ParseFrame: %v", i+1, err)
		}
		frames = append(frames, f)
		times = append(times, p.At)
	}
	return frames, times
}

// refHMAC computes the advert HMAC from the documented layout with
// crypto/hmac directly: 0x02 0x01 vhid, the VIP bytes as given, counter.
func refHMAC(pass []byte, vhid uint8, vipBytes []byte, counter uint64) [20]byte {
	h := hmac.New(sha1.New, pass)
	h.Write([]byte{2, 1, vhid})
	h.Write(vipBytes)
	binary.Write(h, binary.BigEndian, counter)
	var out [20]byte
	copy(out[:], h.Sum(nil))
	return out
}

func TestUcarpCapture(t *testing.T) {
	frames, times := vectorAdverts(t)
	if len(frames) != 13 {
		t.Fatalf("capture has %d CARP frames, want 13", len(frames))
	}
	key, err := NewKey(vectorPass)
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := NewKey([]byte("123piano2026"))
	vip4 := vectorVIP.As4()
	wantInterval := map[netip.Addr]time.Duration{
		vectorA: time.Second,
		vectorB: time.Second + 100*time.Second/256,
	}
	last := map[netip.Addr]time.Time{}
	for i, f := range frames {
		if f.Dst != GroupV4 || f.TTL != 255 || f.TOS != TOSLowDelay {
			t.Errorf("frame %d: dst %v ttl %d tos %#x, want 224.0.0.18, 255, 0x10", i, f.Dst, f.TTL, f.TOS)
		}
		if want := (net.HardwareAddr{0, 0, 0x5e, 0, 0, 1}); !bytes.Equal(f.SrcMAC, want) {
			t.Errorf("frame %d: source MAC %v, want ucarp's %v", i, f.SrcMAC, want)
		}
		if !bytes.Equal(f.DstMAC, MulticastMAC(GroupV4)) {
			t.Errorf("frame %d: destination MAC %v", i, f.DstMAC)
		}
		var a Advert
		if err := a.UnmarshalBinary(f.Payload); err != nil {
			t.Fatalf("frame %d: UnmarshalBinary: %v", i, err)
		}
		if a.VHID != 1 || a.AdvBase != 1 || a.AuthLen != 7 || a.Demote != 0 {
			t.Errorf("frame %d: %+v, want vhid 1 advbase 1 authlen 7 demote 0", i, a)
		}
		again, _ := a.MarshalBinary()
		if !bytes.Equal(again, f.Payload) {
			t.Errorf("frame %d: re-encoded advert differs:\n got %x\nwant %x", i, again, f.Payload)
		}
		if got := refHMAC(vectorPass, 1, vip4[:], a.Counter); got != a.HMAC {
			t.Errorf("frame %d: reference HMAC %x, captured %x", i, got, a.HMAC)
		}
		if got := key.Sum(1, []netip.Addr{vectorVIP}, a.Counter); got != a.HMAC {
			t.Errorf("frame %d: Key.Sum %x, captured %x", i, got, a.HMAC)
		}
		if got := wrong.Sum(1, []netip.Addr{vectorVIP}, a.Counter); got == a.HMAC {
			t.Errorf("frame %d: a wrong passphrase verifies", i)
		}
		want, ok := wantInterval[f.Src]
		if !ok {
			t.Fatalf("frame %d: unexpected source %v", i, f.Src)
		}
		if got := a.Interval(); got != want {
			t.Errorf("frame %d from %v: Interval %v, want %v (advskew %d)", i, f.Src, got, want, a.AdvSkew)
		}
		// The capture's own spacing matches the advertised interval.
		if prev, ok := last[f.Src]; ok {
			if gap := times[i].Sub(prev); gap < want-20*time.Millisecond || gap > want+20*time.Millisecond {
				t.Errorf("frame %d from %v: %v after the previous one, advertised interval %v", i, f.Src, gap, want)
			}
		}
		last[f.Src] = times[i]
	}
}

// TestUcarpCaptureMachine feeds the capture to a third machine configured
// like the two ucarp nodes (advskew 200): every advert is accepted (ucarp's
// random counters are no replay); in the capture's 5.2 s gap between the
// masters its master-down timer (3 + 200/256 s) expires, and the new
// master's more frequent adverts (1 + 100/256 s) send it back to BACKUP.
func TestUcarpCaptureMachine(t *testing.T) {
	frames, times := vectorAdverts(t)
	key, _ := NewKey(vectorPass)
	self := netip.MustParseAddr("172.27.27.13")
	m, err := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 200, VIPs: []netip.Addr{vectorVIP}, Key: key,
		Self: self, Counter: 42})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	record := func(acts []Action) {
		for _, a := range acts {
			if tr, ok := a.(Transition); ok {
				got = append(got, tr.From.String()+">"+tr.To.String()+" master="+m.Status().MasterSeen.String())
			}
		}
	}
	record(m.Start(times[0].Add(-time.Second)))
	for i, f := range frames {
		// Run the timers that fell due before this frame, then the frame.
		for d := m.Deadline(); !d.IsZero() && !d.After(times[i]); d = m.Deadline() {
			record(m.Tick(d))
		}
		record(m.Step(times[i], Received{Src: f.Src, TTL: f.TTL, Payload: f.Payload}))
	}
	st := m.Status()
	if st.Received != 13 || st.Rejected.Total() != 0 {
		t.Errorf("received %d, rejected %d; want 13 accepted, none rejected", st.Received, st.Rejected.Total())
	}
	want := []string{
		"INIT>BACKUP master=invalid IP",
		"BACKUP>MASTER master=" + self.String(),
		"MASTER>BACKUP master=" + vectorB.String(),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if !st.LastTransition.At.Equal(times[5]) {
		t.Errorf("stepped down at %v, want at .12's first advert %v", st.LastTransition.At, times[5])
	}
}
