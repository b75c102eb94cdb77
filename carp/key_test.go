package carp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestNewKeyLength(t *testing.T) {
	if _, err := NewKey([]byte(strings.Repeat("x", 19))); err != nil {
		t.Errorf("19 bytes: %v", err)
	}
	_, err := NewKey([]byte("01234567890123456789")) // 20 bytes
	if !errors.Is(err, ErrPassphraseTooLong) {
		t.Fatalf("20 bytes: error %v, want ErrPassphraseTooLong", err)
	}
	if !strings.Contains(err.Error(), "20 bytes") || !strings.Contains(err.Error(), "19") {
		t.Errorf("error %q does not name the length and the limit", err)
	}
	if strings.Contains(err.Error(), "0123456789") {
		t.Errorf("error %q leaks the passphrase", err)
	}
	if _, err := NewKey(nil); err != nil {
		t.Errorf("empty passphrase: %v", err)
	}
}

func TestKeyNeverPrints(t *testing.T) {
	pass := "s3cretPass"
	k, _ := NewKey([]byte(pass))
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		if out := fmt.Sprintf(f, k); strings.Contains(out, pass) || strings.Contains(out, hex.EncodeToString([]byte(pass))) {
			t.Errorf("%s prints the passphrase: %s", f, out)
		}
	}
	cfg := Config{Key: k}
	if out := fmt.Sprintf("%+v %#v", cfg, cfg); strings.Contains(out, pass) {
		t.Errorf("Config prints the passphrase: %s", out)
	}
}

// TestKeySumVectors checks Sum against HMACs computed from the documented
// byte layout, written out by hand (sorted, deduplicated, scope cleared).
func TestKeySumVectors(t *testing.T) {
	pass := []byte("123piano2026%")
	k, _ := NewKey(pass)
	hexb := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		vhid uint8
		vips []string
		want string // the VIP bytes of the HMAC message, by hand
	}{
		{"one IPv4", 1, []string{"172.27.27.14"}, "ac1b1b0e"},
		{"IPv4 sorted numerically", 2, []string{"192.168.1.1", "10.0.0.2", "10.0.0.10", "10.0.0.1"},
			"0a000001 0a000002 0a00000a c0a80101"},
		{"IPv4 before IPv6, duplicates once", 3,
			[]string{"2001:db8::1", "10.0.0.2", "fe80::5%eth0", "10.0.0.1", "10.0.0.2", "::ffff:10.0.0.3"},
			"0a000001 0a000002 0a000003" +
				"20010db8000000000000000000000001" +
				"fe800000000000000000000000000005"},
		{"link-local scope bytes cleared", 4, []string{"fe80:3::5", "2001:db8::ff"},
			"20010db80000000000000000000000ff" +
				"fe800000000000000000000000000005"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vips []netip.Addr
			for _, s := range tt.vips {
				vips = append(vips, netip.MustParseAddr(s))
			}
			orig := append([]netip.Addr(nil), vips...)
			for _, counter := range []uint64{0, 1, 0xdeadbeefcafef00d} {
				want := refHMAC(pass, tt.vhid, hexb(tt.want), counter)
				if got := k.Sum(tt.vhid, vips, counter); got != want {
					t.Errorf("counter %#x: Sum %x, want %x", counter, got, want)
				}
			}
			for i := range vips {
				if vips[i] != orig[i] {
					t.Fatalf("Sum reordered its argument: %v", vips)
				}
			}
		})
	}
	// The HMAC covers the VIPs, the vhid and the counter.
	a := k.Sum(1, []netip.Addr{netip.MustParseAddr("10.0.0.1")}, 5)
	for name, b := range map[string][20]byte{
		"vip":     k.Sum(1, []netip.Addr{netip.MustParseAddr("10.0.0.2")}, 5),
		"vhid":    k.Sum(2, []netip.Addr{netip.MustParseAddr("10.0.0.1")}, 5),
		"counter": k.Sum(1, []netip.Addr{netip.MustParseAddr("10.0.0.1")}, 6),
	} {
		if a == b {
			t.Errorf("changing the %s does not change the HMAC", name)
		}
	}
}
