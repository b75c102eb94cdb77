package carp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/internal/capture"
	"github.com/google/go-cmp/cmp"
)

func sampleFrame(t testing.TB) Frame {
	t.Helper()
	k, _ := NewKey([]byte("pass"))
	a := Advert{VHID: 5, AdvBase: 1, AdvSkew: 10, Counter: 77}
	a.HMAC = k.Sum(5, []netip.Addr{netip.MustParseAddr("10.0.0.100")}, 77)
	p, _ := a.MarshalBinary()
	return Frame{
		SrcMAC: VirtualMAC(5), DstMAC: MulticastMAC(GroupV4),
		Src: netip.MustParseAddr("10.0.0.1"), Dst: GroupV4,
		TTL: 255, TOS: TOSFreeBSD, Payload: p,
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, vlan := range []uint16{0, 42} {
		f := sampleFrame(t)
		f.VLAN = vlan
		b := AppendFrame(nil, f)
		want := 14 + 20 + 36
		if vlan != 0 {
			want += 4
		}
		if len(b) != want {
			t.Fatalf("vlan %d: frame of %d bytes, want %d", vlan, len(b), want)
		}
		// Ethernet padding to 60 bytes is trimmed by the IP total length.
		got, err := ParseFrame(append(b, make([]byte, 20)...))
		if err != nil {
			t.Fatalf("vlan %d: %v", vlan, err)
		}
		if diff := cmp.Diff(f, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("vlan %d (-want +got):\n%s", vlan, diff)
		}
		ip := b[want-56:]
		if binary.BigEndian.Uint16(ip[6:8]) != 0x4000 || ip[9] != 112 {
			t.Errorf("vlan %d: flags %#x proto %d, want DF and 112", vlan, ip[6:8], ip[9])
		}
	}
}

func TestAppendFrameDefaults(t *testing.T) {
	f := sampleFrame(t)
	f.DstMAC, f.TTL = nil, 0
	b := AppendFrame([]byte{}, f)
	if want := (net.HardwareAddr{1, 0, 0x5e, 0, 0, 0x12}); !bytes.Equal(b[:6], want) {
		t.Errorf("destination MAC %v, want %v", net.HardwareAddr(b[:6]), want)
	}
	if b[14+8] != 255 {
		t.Errorf("TTL %d, want 255 by default", b[14+8])
	}
	if want := (net.HardwareAddr{0, 0, 0x5e, 0, 1, 5}); !bytes.Equal(b[6:12], want) {
		t.Errorf("source MAC %v, want %v", net.HardwareAddr(b[6:12]), want)
	}
	// A source of the other family (or none): zeros, never a panic.
	for _, tc := range []struct{ src, dst, wantSrc string }{
		{"2001:db8::1", "224.0.0.18", "0.0.0.0"},
		{"", "224.0.0.18", "0.0.0.0"},
		{"10.0.0.1", "ff02::12", "::"},
		{"", "ff02::12", "::"},
	} {
		f.Src, f.Dst = netip.Addr{}, netip.MustParseAddr(tc.dst)
		if tc.src != "" {
			f.Src = netip.MustParseAddr(tc.src)
		}
		got, err := ParseFrame(AppendFrame(nil, f))
		if err != nil || got.Src != netip.MustParseAddr(tc.wantSrc) || got.Dst != f.Dst {
			t.Errorf("source %q to %s: parses back as %v -> %v, %v; want %s", tc.src, tc.dst, got.Src, got.Dst, err, tc.wantSrc)
		}
	}
}

func TestParseFrameErrors(t *testing.T) {
	good := AppendFrame(nil, sampleFrame(t))
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	fixIPSum := func(b []byte) []byte {
		b[24], b[25] = 0, 0
		binary.BigEndian.PutUint16(b[24:26], Checksum(b[14:34]))
		return b
	}
	tests := map[string][]byte{
		"empty":           nil,
		"short ethernet":  good[:13],
		"arp":             mod(func(b []byte) []byte { b[12], b[13] = 8, 6; return b }),
		"short ip":        good[:30],
		"ipv6 version":    mod(func(b []byte) []byte { b[14] = 0x65; return fixIPSum(b) }),
		"ihl 4":           mod(func(b []byte) []byte { b[14] = 0x44; return b }),
		"total too long":  mod(func(b []byte) []byte { b[17] = 200; return fixIPSum(b) }),
		"total < header":  mod(func(b []byte) []byte { b[16], b[17] = 0, 10; return fixIPSum(b) }),
		"bad ip checksum": mod(func(b []byte) []byte { b[24] ^= 0xff; return b }),
		"fragment":        mod(func(b []byte) []byte { b[20] = 0x20; return fixIPSum(b) }),
		"frag offset":     mod(func(b []byte) []byte { b[21] = 1; return fixIPSum(b) }),
		"udp":             mod(func(b []byte) []byte { b[23] = 17; return fixIPSum(b) }),
		"truncated vlan":  append(append(append([]byte(nil), good[:12]...), 0x81, 0), 0),
		"three vlan tags": append(append(append([]byte(nil), good[:12]...), 0x81, 0, 0, 1, 0x81, 0, 0, 2, 0x81, 0, 0, 3), good[12:]...),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseFrame(b); !errors.Is(err, ErrFrame) {
				t.Errorf("error %v, want ErrFrame", err)
			}
		})
	}
	// With IP options: skipped.
	f := sampleFrame(t)
	b := AppendFrame(nil, f)
	opt := append(append(append([]byte(nil), b[:34]...), 1, 1, 1, 0), b[34:]...) // NOPs + EOL
	opt[14] = 0x46
	binary.BigEndian.PutUint16(opt[16:18], uint16(24+36))
	fixIPSum(opt)
	binary.BigEndian.PutUint16(opt[24:26], 0)
	binary.BigEndian.PutUint16(opt[24:26], Checksum(opt[14:38]))
	got, err := ParseFrame(opt)
	if err != nil || !bytes.Equal(got.Payload, f.Payload) {
		t.Errorf("with options: %v, payload %x", err, got.Payload)
	}
}

// TestTsharkDecodesOurAdverts writes our frames to a pcap file and has
// tshark decode them as CARP with a good checksum.
func TestTsharkDecodesOurAdverts(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test-deps installs it)")
	}
	k, _ := NewKey([]byte("123piano2026%"))
	m, err := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, Key: k,
		VIPs: []netip.Addr{netip.MustParseAddr("172.27.27.14")}, Counter: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	var payloads [][]byte
	m.Start(t0)
	for _, a := range append(m.Tick(t0.Add(10*sec)), m.Stop(t0.Add(11*sec))...) {
		if s, ok := a.(SendAdvert); ok {
			payloads = append(payloads, s.Payload)
		}
	}
	if len(payloads) != 2 {
		t.Fatalf("%d adverts, want the takeover advert and the bow-out", len(payloads))
	}
	// A third one with a broken CARP checksum shows tshark does check it.
	bad := append([]byte(nil), payloads[0]...)
	bad[7] ^= 0xff
	payloads = append(payloads, bad)
	var pkts []capture.Packet
	for i, p := range payloads {
		fr := AppendFrame(nil, Frame{SrcMAC: VirtualMAC(1), Src: netip.MustParseAddr("172.27.27.11"), Dst: GroupV4,
			TTL: 255, TOS: TOSFreeBSD, Payload: p})
		pkts = append(pkts, capture.Packet{At: time.Unix(int64(i), 0), Data: fr})
	}
	file := capture.AppendPcap(nil, pkts)
	path := filepath.Join(t.TempDir(), "ours.pcap")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := capture.Parse(file)
	if err != nil || len(back) != 3 {
		t.Fatalf("our pcap reads back as %d packets: %v", len(back), err)
	}
	out, err := exec.Command(tshark, "-r", path, "-d", "ip.proto==112,carp", "-o", "ip.check_checksum:TRUE",
		"-T", "fields", "-e", "carp.vhid", "-e", "carp.advskew", "-e", "carp.adver_int",
		"-e", "carp.checksum.status", "-e", "ip.checksum.status", "-e", "ip.ttl").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(l, "Running as user") {
			lines = append(lines, l)
		}
	}
	// checksum status: 1 good, 0 bad
	want := []string{"1\t100\t1\t1\t1\t255", "1\t255\t255\t1\t1\t255", "1\t100\t1\t0\t1\t255"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("tshark fields (-want +got):\n%s", diff)
	}
}
