package node

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/internal/capture"

	"github.com/carpvm/carpvm/carp"
)

// TestNAFrame checks the unsolicited neighbour advertisement byte by byte
// against the layout written out by hand; the checksums were computed
// outside Go (Python, over the pseudo-header of RFC 8200 8.1).
func TestNAFrame(t *testing.T) {
	vip := netip.MustParseAddr("2001:db8::14")
	for _, tc := range []struct {
		router bool
		flags  string
		sum    string
	}{{false, "20", "9c03"}, {true, "a0", "1c03"}} {
		got, err := appendNA(nil, carp.VirtualMAC(2), vip, tc.router)
		if err != nil {
			t.Fatal(err)
		}
		var words []string
		for _, line := range strings.Split(`
			333300000001                      Ethernet destination: ff02::1's multicast MAC
			00005e000102                      source: the virtual MAC of vhid 2
			86dd                              IPv6
			60000000                          version 6, traffic class 0, flow label 0
			0020                              payload length 32
			3a                                next header 58 (ICMPv6)
			ff                                hop limit 255
			20010db8000000000000000000000014  source: the VIP
			ff020000000000000000000000000001  destination: all nodes
			88                                type 136, neighbour advertisement
			00                                code 0
			`+tc.sum+`                        checksum
			`+tc.flags+`000000                flags: Override (and Router)
			20010db8000000000000000000000014  target: the VIP
			02                                option: target link-layer address
			01                                length 1 (8 bytes)
			00005e000102                      the virtual MAC`, "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				words = append(words, f[0])
			}
		}
		want, err := hex.DecodeString(strings.Join(words, ""))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("router %v: NA frame\n got %x\nwant %x", tc.router, got, want)
		}
		if len(got) != naLen {
			t.Errorf("NA frame of %d bytes, want %d", len(got), naLen)
		}
	}
	if _, err := appendNA(nil, carp.VirtualMAC(2), netip.MustParseAddr("10.0.0.1"), false); err == nil {
		t.Error("NA for an IPv4 VIP accepted")
	}
	if _, err := appendNA(nil, carp.VirtualMAC(2), netip.MustParseAddr("::ffff:10.0.0.1"), false); err == nil {
		t.Error("NA for an IPv4-mapped VIP accepted")
	}
	if _, err := appendNA(nil, []byte{1, 2, 3}, vip, false); err == nil {
		t.Error("NA from a 3-byte MAC accepted")
	}
}

// TestTsharkDecodesNA has tshark decode our NA (and check its ICMPv6
// checksum) independently.
func TestTsharkDecodesNA(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test-deps installs it)")
	}
	fr, err := appendNA(nil, carp.VirtualMAC(1), netip.MustParseAddr("fe80::1"), true)
	if err != nil {
		t.Fatal(err)
	}
	file := capture.AppendPcap(nil, []capture.Packet{{At: time.Unix(1, 0), Data: fr}})
	path := filepath.Join(t.TempDir(), "na.pcap")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-E", "separator=,",
		"-e", "icmpv6.type", "-e", "icmpv6.nd.na.flag.r", "-e", "icmpv6.nd.na.flag.s", "-e", "icmpv6.nd.na.flag.o",
		"-e", "icmpv6.nd.na.target_address", "-e", "icmpv6.opt.linkaddr", "-e", "icmpv6.checksum.status", "-e", "ipv6.hlim").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var got string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(l, "Running as user") {
			got = l
		}
	}
	// Older and newer tshark print flags as 1/0 or True/False.
	got = strings.NewReplacer("True", "1", "False", "0").Replace(got)
	if want := "136,1,0,1,fe80::1,00:00:5e:00:01:01,1,255"; got != want {
		t.Errorf("tshark: %q, want %q", got, want)
	}
}
