package witness

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/capture"
	"github.com/google/go-cmp/cmp"
)

// addrEq lets cmp compare netip.Addr values.
var addrEq = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	vip   = netip.MustParseAddr("172.27.27.14")
	nodeA = netip.MustParseAddr("172.27.27.11")
	nodeB = netip.MustParseAddr("172.27.27.12")
	t0    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

type observed struct {
	at time.Time
	f  carp.Frame
}

// captureFrames returns the CARP frames of the ucarp capture.
func captureFrames(t *testing.T) []observed {
	t.Helper()
	b, err := os.ReadFile("../testdata/ucarp-vhid1-pair.pcap")
	if err != nil {
		t.Skipf("test vector not available: %v", err)
	}
	pkts, err := capture.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []observed
	for _, p := range pkts {
		if f, err := carp.ParseFrame(p.Data); err == nil {
			out = append(out, observed{p.At, f})
		}
	}
	if len(out) != 13 {
		t.Fatalf("%d CARP frames in the capture, want 13", len(out))
	}
	return out
}

func key(t *testing.T, pass string) *carp.Key {
	k, err := carp.NewKey([]byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	return &k
}

func findGroup(t *testing.T, s Snapshot, p Protocol, id uint8) Group {
	t.Helper()
	for _, g := range s.Groups {
		if g.Protocol == p && g.ID == id {
			return g
		}
	}
	t.Fatalf("no %s group %d in %+v", p, id, s.Groups)
	return Group{}
}

func advertiser(t *testing.T, g Group, src netip.Addr) Advertiser {
	t.Helper()
	for _, a := range g.Advertisers {
		if a.Src == src {
			return a
		}
	}
	t.Fatalf("no advertiser %v in %s %d", src, g.Protocol, g.ID)
	return Advertiser{}
}

func codes(ws []Warning) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.Code)
	}
	return out
}

func TestCaptureMasterChange(t *testing.T) {
	frames := captureFrames(t)
	w := New(Options{Key: key(t, "123piano2026%"), VIPs: map[uint8][]netip.Addr{1: {vip}}})
	for _, o := range frames[:5] {
		w.Observe(o.at, o.f)
	}
	lastA := frames[4].at
	for _, c := range []struct {
		name    string
		at      time.Time
		masters []netip.Addr
		role    Role
	}{
		{"right after .11's last advert", lastA, []netip.Addr{nodeA}, RoleMaster},
		{"within master-down", lastA.Add(2900 * time.Millisecond), []netip.Addr{nodeA}, RoleMaster},
		{"silent past master-down", lastA.Add(3100 * time.Millisecond), []netip.Addr{}, RoleSilent},
	} {
		s := w.Snapshot(c.at)
		g := findGroup(t, s, CARP, 1)
		if diff := cmp.Diff(c.masters, g.Masters, addrEq); diff != "" {
			t.Errorf("%s: masters (-want +got):\n%s", c.name, diff)
		}
		if a := advertiser(t, g, nodeA); a.Role != c.role {
			t.Errorf("%s: role %s, want %s", c.name, a.Role, c.role)
		}
	}
	a := advertiser(t, findGroup(t, w.Snapshot(lastA), CARP, 1), nodeA)
	if a.AdvBase != 1 || a.AdvSkew != 0 || a.Auth != AuthOK || a.Adverts != 5 || a.MAC != "00:00:5e:00:00:01" || a.TTL != 255 {
		t.Errorf(".11: %+v", a)
	}
	if a.Interval != time.Second || a.Observed < 990*time.Millisecond || a.Observed > 1010*time.Millisecond {
		t.Errorf(".11: interval %v, observed %v; want 1s both", a.Interval, a.Observed)
	}
	for _, o := range frames[5:] {
		w.Observe(o.at, o.f)
	}
	end := frames[len(frames)-1].at
	s := w.Snapshot(end)
	g := findGroup(t, s, CARP, 1)
	if diff := cmp.Diff([]netip.Addr{nodeB}, g.Masters, addrEq); diff != "" {
		t.Errorf("masters at the end (-want +got):\n%s", diff)
	}
	b := advertiser(t, g, nodeB)
	want := time.Second + 100*time.Second/256
	if b.AdvSkew != 100 || b.Interval != want || b.Observed < want-10*time.Millisecond || b.Observed > want+10*time.Millisecond {
		t.Errorf(".12: advskew %d interval %v observed %v, want 100, %v", b.AdvSkew, b.Interval, b.Observed, want)
	}
	if len(s.Warnings) != 0 || s.Frames != 13 || s.Malformed != 0 {
		t.Errorf("warnings %v, frames %d, malformed %d", s.Warnings, s.Frames, s.Malformed)
	}
	golden(t, "capture-snapshot.json", s)
}

func TestCaptureAuth(t *testing.T) {
	frames := captureFrames(t)
	for _, c := range []struct {
		name  string
		opts  Options
		auth  Auth
		warns []string
	}{
		{"no key", Options{}, AuthUnverified, []string{}},
		{"key without VIPs", Options{Key: key(t, "123piano2026%")}, AuthUnverified, []string{}},
		{"other VIP", Options{Key: key(t, "123piano2026%"), VIPs: map[uint8][]netip.Addr{1: {nodeA}}}, AuthFailed, []string{WarnAuthFailed}},
		{"other passphrase", Options{Key: key(t, "piano"), VIPs: map[uint8][]netip.Addr{1: {vip}}}, AuthFailed, []string{WarnAuthFailed}},
	} {
		w := New(c.opts)
		for _, o := range frames {
			w.Observe(o.at, o.f)
		}
		s := w.Snapshot(frames[len(frames)-1].at)
		a := advertiser(t, findGroup(t, s, CARP, 1), nodeB)
		if a.Auth != c.auth {
			t.Errorf("%s: auth %s, want %s", c.name, a.Auth, c.auth)
		}
		// Failing authentication is reported for both advertisers.
		want := c.warns
		if len(want) > 0 {
			want = append(want, want...)
		}
		if diff := cmp.Diff(want, codes(s.Warnings)); diff != "" {
			t.Errorf("%s: warnings (-want +got):\n%s", c.name, diff)
		}
	}
}

// carpFrame builds an authentic CARP advert frame from src.
func carpFrame(k *carp.Key, vhid uint8, src netip.Addr, advbase, advskew uint8, counter uint64) carp.Frame {
	a := carp.Advert{VHID: vhid, AdvBase: advbase, AdvSkew: advskew, Counter: counter}
	a.HMAC = k.Sum(vhid, []netip.Addr{vip}, counter)
	p, _ := a.MarshalBinary()
	return carp.Frame{SrcMAC: carp.VirtualMAC(vhid), DstMAC: carp.MulticastMAC(carp.GroupV4), Src: src, Dst: carp.GroupV4,
		TTL: 255, TOS: carp.TOSFreeBSD, Payload: p}
}

// feed sends adverts from src every interval in [from, to).
func feed(w *Witness, k *carp.Key, src netip.Addr, advskew uint8, from, to time.Duration) {
	iv := time.Second + time.Duration(advskew)*time.Second/256
	c := uint64(src.As4()[3]) << 32
	for at := from; at < to; at += iv {
		c++
		w.Observe(t0.Add(at), carpFrame(k, 1, src, 1, advskew, c))
	}
}

func TestTwoMasters(t *testing.T) {
	k := key(t, "pass")
	opts := Options{Key: k, VIPs: map[uint8][]netip.Addr{1: {vip}}}

	// A clean handover (preempt): A stops, B starts; no warning.
	w := New(opts)
	feed(w, k, nodeA, 100, 0, 10*time.Second)
	feed(w, k, nodeB, 0, 10*time.Second, 20*time.Second)
	s := w.Snapshot(t0.Add(11 * time.Second)) // A's last advert is still "recent"
	g := findGroup(t, s, CARP, 1)
	if diff := cmp.Diff([]netip.Addr{nodeB}, g.Masters, addrEq); diff != "" || len(s.Warnings) != 0 {
		t.Errorf("handover: masters %v, warnings %v", g.Masters, s.Warnings)
	}
	if a := advertiser(t, g, nodeA); a.Role != RoleReplaced {
		t.Errorf("handover: old master's role %s", a.Role)
	}

	// A split brain: both keep advertising.
	w = New(opts)
	feed(w, k, nodeA, 0, 0, 20*time.Second)
	feed(w, k, nodeB, 100, 5*time.Second, 20*time.Second)
	s = w.Snapshot(t0.Add(20 * time.Second))
	g = findGroup(t, s, CARP, 1)
	if diff := cmp.Diff([]netip.Addr{nodeA, nodeB}, g.Masters, addrEq); diff != "" {
		t.Errorf("split brain: masters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{WarnTwoMasters}, codes(s.Warnings)); diff != "" {
		t.Errorf("split brain: warnings (-want +got):\n%s", diff)
	}
	// Both fell silent: no master, no warning.
	s = w.Snapshot(t0.Add(25 * time.Second))
	if g := findGroup(t, s, CARP, 1); len(g.Masters) != 0 || len(s.Warnings) != 0 {
		t.Errorf("after silence: masters %v, warnings %v", g.Masters, s.Warnings)
	}
	// Healed: A advertises again, B stays silent.
	feed(w, k, nodeA, 0, 20*time.Second, 30*time.Second)
	s = w.Snapshot(t0.Add(30 * time.Second))
	if g := findGroup(t, s, CARP, 1); len(g.Masters) != 1 || len(s.Warnings) != 0 {
		t.Errorf("after B fell silent: masters %v, warnings %v", g.Masters, s.Warnings)
	}
}

func TestBowOutAndIntervalChange(t *testing.T) {
	k := key(t, "pass")
	w := New(Options{})
	feed(w, k, nodeA, 0, 0, 5*time.Second)
	feed(w, k, nodeA, 100, 5*time.Second, 10*time.Second) // demoted: interval changed
	s := w.Snapshot(t0.Add(10 * time.Second))
	if diff := cmp.Diff([]string{WarnIntervalChanged}, codes(s.Warnings)); diff != "" {
		t.Fatalf("warnings (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.Warnings[0].Message, "from 1s to 1.390625s") {
		t.Errorf("message %q", s.Warnings[0].Message)
	}
	w.Observe(t0.Add(10*time.Second), carpFrame(k, 1, nodeA, 255, 255, 99)) // bow-out
	s = w.Snapshot(t0.Add(10 * time.Second))
	g := findGroup(t, s, CARP, 1)
	if a := advertiser(t, g, nodeA); a.Role != RoleLeft || len(g.Masters) != 0 || len(s.Warnings) != 0 {
		t.Errorf("after bow-out: role %s, masters %v, warnings %v", a.Role, g.Masters, s.Warnings)
	}
}

// vrrp2 builds a VRRPv2 advertisement (RFC 3768) with its checksum.
func vrrp2(vrid, prio, advint uint8, addrs ...netip.Addr) []byte {
	p := []byte{0x21, vrid, prio, byte(len(addrs)), 0, advint, 0, 0}
	for _, a := range addrs {
		b := a.As4()
		p = append(p, b[:]...)
	}
	p = append(p, make([]byte, 8)...)
	binary.BigEndian.PutUint16(p[6:], inetSum(p))
	return p
}

// vrrp3 builds a VRRPv3 advertisement (RFC 5798) over IPv4.
func vrrp3(src netip.Addr, vrid, prio uint8, centis uint16, addrs ...netip.Addr) []byte {
	p := []byte{0x31, vrid, prio, byte(len(addrs)), byte(centis >> 8 & 0x0f), byte(centis), 0, 0}
	for _, a := range addrs {
		b := a.As4()
		p = append(p, b[:]...)
	}
	s, d := src.As4(), carp.GroupV4.As4()
	ph := append(append(append([]byte{}, s[:]...), d[:]...), 0, 112, 0, byte(len(p)))
	binary.BigEndian.PutUint16(p[6:], inetSum(append(ph, p...)))
	return p
}

func inetSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

func vrrpFrame(src netip.Addr, p []byte) carp.Frame {
	return carp.Frame{SrcMAC: net.HardwareAddr{0, 0, 0x5e, 0, 1, p[1]}, Src: src, Dst: carp.GroupV4, TTL: 255, Payload: p}
}

func TestVRRPAndCollision(t *testing.T) {
	k := key(t, "pass")
	w := New(Options{})
	v2src := netip.MustParseAddr("172.27.27.5")
	v3src := netip.MustParseAddr("172.27.27.6")
	addr := netip.MustParseAddr("172.27.27.1")
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Second)
		w.Observe(at, vrrpFrame(v2src, vrrp2(1, 200, 1, addr)))
		w.Observe(at, vrrpFrame(v3src, vrrp3(v3src, 7, 100, 100, addr, vip)))
		w.Observe(at, carpFrame(k, 1, nodeA, 1, 0, uint64(i)))
	}
	bad := vrrp2(3, 100, 1, addr)
	bad[6] ^= 1
	w.Observe(t0, vrrpFrame(v2src, bad))
	w.Observe(t0, vrrpFrame(v2src, []byte{0x41, 1, 2, 3, 4, 5, 6, 7}))
	s := w.Snapshot(t0.Add(4 * time.Second))
	var got []string
	for _, g := range s.Groups {
		got = append(got, string(g.Protocol)+" "+string(rune('0'+g.ID)))
	}
	if diff := cmp.Diff([]string{"carp 1", "vrrp2 1", "vrrp3 7"}, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	// VRRP vrid 1 and CARP vhid 1 send from one MAC: a flap as well.
	if diff := cmp.Diff([]string{WarnMACFlap, WarnIDCollision, WarnIDCollision}, codes(s.Warnings)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	v2 := advertiser(t, findGroup(t, s, VRRP2, 1), v2src)
	if v2.Priority != 200 || v2.Interval != time.Second || v2.Auth != AuthNone || v2.Role != RoleMaster ||
		!cmp.Equal(v2.Addresses, []netip.Addr{addr}, addrEq) {
		t.Errorf("vrrp2: %+v", v2)
	}
	v3 := advertiser(t, findGroup(t, s, VRRP3, 7), v3src)
	if v3.Priority != 100 || v3.Interval != time.Second || len(v3.Addresses) != 2 {
		t.Errorf("vrrp3: %+v", v3)
	}
	if s.Malformed != 1 || s.Unknown != 1 || s.Frames != 17 {
		t.Errorf("frames %d, malformed %d, unknown %d; want 17, 1, 1", s.Frames, s.Malformed, s.Unknown)
	}
}

// TestReflection: a segment that hands every advert back to its sender
// shows each one twice within microseconds. The copies are counted apart,
// do not shorten the observed interval, and raise a warning; a VRRP
// router, which repeats its bytes every interval, is not taken for one.
func TestReflection(t *testing.T) {
	k := key(t, "pass")
	w := New(Options{Key: k, VIPs: map[uint8][]netip.Addr{1: {vip}}})
	addr := netip.MustParseAddr("172.27.27.1")
	v2src := netip.MustParseAddr("172.27.27.5")
	for i := range 10 {
		at := t0.Add(time.Duration(i) * time.Second)
		f := carpFrame(k, 1, nodeA, 1, 0, uint64(100+i))
		w.Observe(at, f)
		w.Observe(at.Add(80*time.Microsecond), f) // the reflected copy
		w.Observe(at, vrrpFrame(v2src, vrrp2(9, 100, 1, addr)))
	}
	s := w.Snapshot(t0.Add(9 * time.Second))
	a := advertiser(t, findGroup(t, s, CARP, 1), nodeA)
	if a.Adverts != 10 || a.Duplicates != 10 || a.Auth != AuthOK {
		t.Errorf("advertiser: %d adverts, %d duplicates, auth %s; want 10, 10, ok", a.Adverts, a.Duplicates, a.Auth)
	}
	if a.Observed != time.Second {
		t.Errorf("observed interval %v; want 1s, the copies not counted as adverts", a.Observed)
	}
	if v := advertiser(t, findGroup(t, s, VRRP2, 9), v2src); v.Adverts != 10 || v.Duplicates != 0 {
		t.Errorf("VRRP router repeating its bytes each second: %d adverts, %d duplicates; want 10, 0", v.Adverts, v.Duplicates)
	}
	if diff := cmp.Diff([]string{WarnReflected}, codes(s.Warnings)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	} else if !strings.Contains(s.Warnings[0].Message, "10 adverts from 172.27.27.11 arrived twice") {
		t.Errorf("warning %q", s.Warnings[0].Message)
	}
}

func TestAdvertisersBounded(t *testing.T) {
	k := key(t, "pass")
	w := New(Options{})
	for i := range 1000 {
		src := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		w.Observe(t0.Add(time.Duration(i)*time.Millisecond), carpFrame(k, 1, src, 1, 0, uint64(i)))
	}
	g := findGroup(t, w.Snapshot(t0.Add(time.Second)), CARP, 1)
	if len(g.Advertisers) != MaxAdvertisers {
		t.Fatalf("%d advertisers kept, want %d", len(g.Advertisers), MaxAdvertisers)
	}
	if g.Advertisers[0].Src != netip.AddrFrom4([4]byte{10, 0, 3, 0xe8 - MaxAdvertisers}) {
		t.Errorf("kept %v first, want the most recent ones", g.Advertisers[0].Src)
	}
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
