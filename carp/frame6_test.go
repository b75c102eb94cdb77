package carp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
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

var (
	self6 = netip.MustParseAddr("fe80::11")
	vip6  = netip.MustParseAddr("2001:db8::14")
)

// sampleFrame6 is an IPv6 advert of a dual-family group as carpvm sends it.
func sampleFrame6(t testing.TB) Frame {
	t.Helper()
	k, _ := NewKey([]byte("123piano2026%"))
	vips := []netip.Addr{netip.MustParseAddr("172.27.27.14"), vip6}
	a := Advert{VHID: 1, AdvBase: 1, AdvSkew: 100, Counter: 0x0102030405060708}
	a.HMAC = k.Sum(1, vips, a.Counter)
	p, _ := a.MarshalBinary()
	return Frame{SrcMAC: VirtualMAC(1), DstMAC: MulticastMAC(GroupV6), Src: self6, Dst: GroupV6,
		TTL: 255, TOS: TOSFreeBSD, Payload: p}
}

// unhex decodes the first word of each line of s as hex.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var digits strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			digits.WriteString(f[0]) // the rest of the line is a comment
		}
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAppendFrameIPv6Bytes checks an IPv6 advert frame byte by byte against
// the layout written out by hand (RFC 2464 multicast MAC, RFC 8200 header,
// FreeBSD's traffic class and hop limit).
func TestAppendFrameIPv6Bytes(t *testing.T) {
	f := sampleFrame6(t)
	f.DstMAC = nil // derived from ff02::12
	got := AppendFrame(nil, f)
	want := unhex(t, `
		333300000012                      destination: 33:33 + low 32 bits of ff02::12
		00005e000101                      source: the virtual MAC of vhid 1
		86dd                              ethertype IPv6
		6e000000                          version 6, traffic class 0xe0, flow label 0
		0024                              payload length 36
		70                                next header 112
		ff                                hop limit 255
		fe800000000000000000000000000011  source fe80::11
		ff020000000000000000000000000012  destination ff02::12`)
	want = append(want, f.Payload...)
	if !bytes.Equal(got, want) {
		t.Fatalf("frame\n got %x\nwant %x", got, want)
	}
	// The same with a VLAN tag: 802.1Q before the ethertype.
	f.VLAN = 42
	tagged := AppendFrame(nil, f)
	if !bytes.Equal(tagged[12:18], []byte{0x81, 0x00, 0x00, 42, 0x86, 0xdd}) || !bytes.Equal(tagged[18:], want[14:]) {
		t.Errorf("tagged frame %x", tagged)
	}
}

func TestFrameIPv6RoundTrip(t *testing.T) {
	cmpAddr := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
	for _, vlan := range []uint16{0, 7} {
		f := sampleFrame6(t)
		f.VLAN = vlan
		b := AppendFrame(nil, f)
		// Ethernet padding and trailing bytes are trimmed by the payload length.
		got, err := ParseFrame(append(b, make([]byte, 20)...))
		if err != nil {
			t.Fatalf("vlan %d: %v", vlan, err)
		}
		if diff := cmp.Diff(f, got, cmpAddr); diff != "" {
			t.Errorf("vlan %d (-want +got):\n%s", vlan, diff)
		}
		if !got.IsIPv6() {
			t.Errorf("vlan %d: parsed frame is not IPv6", vlan)
		}
	}
	// IPv4 still encodes as IPv4 next to it.
	if f := sampleFrame(t); f.IsIPv6() || binary.BigEndian.Uint16(AppendFrame(nil, f)[12:14]) != 0x0800 {
		t.Error("an IPv4 frame is not sent as IPv4")
	}
	// A flow label is ignored on parse (FreeBSD sends 0).
	b := AppendFrame(nil, sampleFrame6(t))
	b[15] |= 0x0a
	b[16], b[17] = 0xbc, 0xde
	if got, err := ParseFrame(b); err != nil || got.TOS != TOSFreeBSD {
		t.Errorf("with a flow label: TOS %#x, %v", got.TOS, err)
	}
}

func TestMulticastMAC(t *testing.T) {
	for addr, want := range map[string]string{
		"224.0.0.18":   "01:00:5e:00:00:12",
		"239.255.1.2":  "01:00:5e:7f:01:02",
		"ff02::12":     "33:33:00:00:00:12",
		"ff02::1":      "33:33:00:00:00:01",
		"ff02::1:ff00": "33:33:00:01:ff:00",
	} {
		if got := MulticastMAC(netip.MustParseAddr(addr)).String(); got != want {
			t.Errorf("MulticastMAC(%s) = %s, want %s", addr, got, want)
		}
	}
}

func TestParseFrameIPv6Errors(t *testing.T) {
	good := AppendFrame(nil, sampleFrame6(t))
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := map[string][]byte{
		"short ipv6 header": good[:14+39],
		"version 4":         mod(func(b []byte) []byte { b[14] = 0x4e; return b }),
		"payload too long":  mod(func(b []byte) []byte { b[19] = 37; return b }),
		"hop-by-hop header": mod(func(b []byte) []byte { b[20] = 0; return b }),
		"icmpv6":            mod(func(b []byte) []byte { b[20] = 58; return b }),
		"fragment header":   mod(func(b []byte) []byte { b[20] = 44; return b }),
		"ipv4 in 86dd":      mod(func(b []byte) []byte { return append(b[:14], AppendFrame(nil, sampleFrame(t))[14:]...) }),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseFrame(b); !errors.Is(err, ErrFrame) {
				t.Errorf("error %v, want ErrFrame", err)
			}
		})
	}
	// A shorter payload length than the bytes present is fine: the rest is
	// padding.
	short := mod(func(b []byte) []byte { b[19] = 8; return b })
	if f, err := ParseFrame(short); err != nil || len(f.Payload) != 8 {
		t.Errorf("payload length 8: %d bytes, %v", len(f.Payload), err)
	}
}

// TestKeySumMixedVector checks the HMAC of a group with IPv4 and IPv6 VIPs
// against a digest computed outside Go (Python's hmac over the message
// 02 01 01 | 0a000001 ac1b1b0e | 2001:db8::14 | fe80::1 | counter), with the
// VIPs given out of order and a zone that must not count.
func TestKeySumMixedVector(t *testing.T) {
	k, _ := NewKey([]byte("123piano2026%"))
	vips := []netip.Addr{
		netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("2001:db8::14"),
		netip.MustParseAddr("172.27.27.14"), netip.MustParseAddr("10.0.0.1"),
	}
	got := k.Sum(1, vips, 0x0102030405060708)
	if want := "5375444a53e00798097fc8a95767338dd227dc4f"; hex.EncodeToString(got[:]) != want {
		t.Errorf("Sum = %x, want %s", got, want)
	}
}

// TestTsharkDecodesOurIPv6Adverts has tshark decode our IPv6 advert frames
// as CARP over IPv6 with a good checksum, hop limit 255 and traffic class
// 0xe0.
func TestTsharkDecodesOurIPv6Adverts(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test-deps installs it)")
	}
	file := capture.AppendPcap(nil, []capture.Packet{{At: time.Unix(1, 0), Data: AppendFrame(nil, sampleFrame6(t))}})
	path := filepath.Join(t.TempDir(), "ours6.pcap")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", path, "-d", "ip.proto==112,carp",
		"-T", "fields", "-E", "separator=,", "-e", "eth.src", "-e", "eth.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
		"-e", "ipv6.hlim", "-e", "ipv6.tclass", "-e", "carp.vhid", "-e", "carp.advskew", "-e", "carp.checksum.status").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(l, "Running as user") {
			lines = append(lines, l)
		}
	}
	want := []string{"00:00:5e:00:01:01,33:33:00:00:00:12,fe80::11,ff02::12,255,0x000000e0,1,100,1"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("tshark fields (-want +got):\n%s", diff)
	}
}
