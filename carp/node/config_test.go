package node

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func noEnv(string) string { return "" }

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	pass := writeFile(t, dir, "pass", "123piano2026%\n")
	path := writeFile(t, dir, "node.yaml", `
interface: ens192
metrics_listen: 127.0.0.1:9380
groups:
  - vhid: 1
    vips: [172.27.27.14/28, 172.27.27.13/28]
    advskew: 100
    preempt: true
    pass_file: `+pass+`
    up_script: /etc/carpvm/up.sh
  - interface: ens224
    vhid: 2
    vips: [203.0.113.10]
    advbase: 2
    no_vmac: true
    pass_file: `+pass+`
  - interface: ens192
    vhid: 3
    vips: [2001:db8::14/64, 172.27.27.4/28, fe80::1/64, "2001:db8:1::1"]
    pass_file: `+pass+`
`)
	cfg, err := LoadConfig(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ControlSocket != DefaultControlSocket || cfg.MetricsListen != "127.0.0.1:9380" {
		t.Errorf("control %q metrics %q", cfg.ControlSocket, cfg.MetricsListen)
	}
	type summary struct {
		Iface            string
		VHID             uint8
		VIPs             []netip.Prefix
		AdvBase, AdvSkew uint8
		Preempt, VMAC    bool
		Up               string
	}
	var got []summary
	for _, g := range cfg.Groups {
		got = append(got, summary{g.Interface, g.VHID, g.VIPs, g.AdvBase, g.AdvSkew, g.Preempt, g.VMAC, g.UpScript})
	}
	want := []summary{
		{"ens192", 1, []netip.Prefix{netip.MustParsePrefix("172.27.27.14/28"), netip.MustParsePrefix("172.27.27.13/28")}, 1, 100, true, true, "/etc/carpvm/up.sh"},
		{"ens224", 2, []netip.Prefix{netip.MustParsePrefix("203.0.113.10/32")}, 2, 0, false, false, ""},
		{"ens192", 3, []netip.Prefix{netip.MustParsePrefix("2001:db8::14/64"), netip.MustParsePrefix("172.27.27.4/28"),
			netip.MustParsePrefix("fe80::1/64"), netip.MustParsePrefix("2001:db8:1::1/128")}, 1, 0, false, true, ""},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if !cfg.Groups[0].Key.Equal(testKey(t, "123piano2026%")) {
		t.Error("key is not the pass file's first line")
	}
}

func TestLoadConfigErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	pass := writeFile(t, dir, "pass", "123piano2026%\n")
	long := writeFile(t, dir, "long", "twenty-bytes-long-xx\n")
	for _, tc := range []struct {
		name, yaml, key, msg string
	}{
		{"no groups", "interface: eth0\n", "groups", "no group"},
		{"vhid missing", "interface: eth0\ngroups:\n  - vips: [10.0.0.1/24]\n    pass_file: " + pass, "groups[0].vhid", "missing"},
		{"vhid range", "interface: eth0\ngroups:\n  - vhid: 256\n    vips: [10.0.0.1/24]\n    pass_file: " + pass, "groups[0].vhid", "1..255"},
		{"vhid past int64", "interface: eth0\ngroups:\n  - vhid: 99999999999999999999999\n    vips: [10.0.0.1/24]\n    pass_file: " + pass, "groups[0].vhid", "99999999999999999999999 is out of range"},
		{"vhid not an integer", "interface: eth0\ngroups:\n  - {vhid: 1.5, vips: [10.0.0.1/24], pass_file: " + pass + "}", "groups[0].vhid", "1.5 is not an integer"},
		{"advskew range", "interface: eth0\ngroups:\n  - vhid: 1\n    advskew: 255\n    vips: [10.0.0.1/24]\n    pass_file: " + pass, "groups[0].advskew", "0..254"},
		{"bad vip", "interface: eth0\ngroups:\n  - vhid: 1\n    vips: [10.0.0.300/24]\n    pass_file: " + pass, "groups[0].vips[0]", "not a CIDR"},
		{"ipv6 vip with a zone", "interface: eth0\ngroups:\n  - vhid: 1\n    vips: [10.0.0.1/24, fe80::1%eth0]\n    pass_file: " + pass, "groups[0].vips[1]", "zone"},
		{"ipv4-mapped vip", "interface: eth0\ngroups:\n  - vhid: 1\n    vips: [\"::ffff:10.0.0.1\"]\n    pass_file: " + pass, "groups[0].vips[0]", "write it as IPv4 (10.0.0.1)"},
		{"multicast ipv6 vip", "interface: eth0\ngroups:\n  - vhid: 1\n    vips: [ff02::12]\n    pass_file: " + pass, "groups[0].vips[0]", "not a unicast"},
		{"ipv6 vip in two groups", "groups:\n  - interface: eth0\n    vhid: 1\n    vips: [2001:db8::1/64]\n    pass_file: " + pass + "\n  - interface: eth1\n    vhid: 2\n    vips: [2001:db8::1/128]\n    pass_file: " + pass, "groups[1].vips[0]", "already in groups[0]"},
		{"no vips", "interface: eth0\ngroups:\n  - vhid: 1\n    pass_file: " + pass, "groups[0].vips", "at least one"},
		{"no interface", "groups:\n  - vhid: 1\n    vips: [10.0.0.1/24]\n    pass_file: " + pass, "groups[0].interface", "missing"},
		{"duplicate vhid", "interface: eth0\ngroups:\n  - vhid: 1\n    vips: [10.0.0.1/24]\n    pass_file: " + pass + "\n  - vhid: 1\n    vips: [10.0.0.2/24]\n    pass_file: " + pass, "groups[1].vhid", "already groups[0]"},
		{"vip in two groups", "groups:\n  - interface: eth0\n    vhid: 1\n    vips: [10.0.0.1/24]\n    pass_file: " + pass + "\n  - interface: eth1\n    vhid: 1\n    vips: [10.0.0.9/32, 10.0.0.1/32]\n    pass_file: " + pass, "groups[1].vips[1]", "already in groups[0]"},
		{"no passphrase", "interface: eth0\ngroups:\n  - vhid: 1\n    vips: [10.0.0.1/24]", "groups[0].pass_file", "no passphrase"},
		{"long passphrase", "interface: eth0\ngroups:\n  - vhid: 1\n    vips: [10.0.0.1/24]\n    pass_file: " + long, "groups[0].pass_file", "limit is 19"},
		{"unknown key", "interface: eth0\ngroups:\n  - vhid: 1\n    vip: [10.0.0.1/24]\n    pass_file: " + pass, "node.yaml", "vip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "node.yaml", tc.yaml)
			_, err := LoadConfig(path, noEnv)
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v; want a *config.Error", err)
			}
			if !strings.Contains(ce.Key, tc.key) || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("err = %v; want key %q and %q in the message", err, tc.key, tc.msg)
			}
			if strings.Contains(err.Error(), "twenty-bytes") || strings.Contains(err.Error(), "piano") {
				t.Errorf("error reveals a passphrase: %v", err)
			}
		})
	}
}

func TestReadKeyFromEnv(t *testing.T) {
	k, err := ReadKey("", func(k string) string {
		if k == PassEnv {
			return "from-env"
		}
		return ""
	})
	if err != nil || !k.Equal(testKey(t, "from-env")) {
		t.Errorf("ReadKey from $%s = %v, %v", PassEnv, k, err)
	}
}

// freeze_reannounce is on unless node.yaml says false.
func TestLoadConfigFreezeReannounce(t *testing.T) {
	dir := t.TempDir()
	pass := writeFile(t, dir, "pass", "123piano2026%\n")
	for _, c := range []struct {
		line string
		off  bool
	}{{"", false}, {"freeze_reannounce: true\n", false}, {"freeze_reannounce: false\n", true}} {
		path := writeFile(t, dir, "node.yaml", "interface: ens192\n"+c.line+"groups:\n  - vhid: 1\n    vips: [172.27.27.14/28]\n    pass_file: "+pass+"\n")
		cfg, err := LoadConfig(path, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.NoFreezeReannounce != c.off {
			t.Errorf("%q: NoFreezeReannounce = %v, want %v", c.line, cfg.NoFreezeReannounce, c.off)
		}
	}
}

// A vhid past int64 is refused with the number as the file writes it, not
// the nonsense the decoder made of it.
func TestOutOfRangeVHIDShownAsWritten(t *testing.T) {
	dir := t.TempDir()
	pass := writeFile(t, dir, "pass", "123piano2026%\n")
	path := writeFile(t, dir, "node.yaml", "interface: eth0\ngroups:\n  - vhid: 99999999999999999999999\n    vips: [10.0.0.1/24]\n    pass_file: "+pass+"\n")
	_, err := LoadConfig(path, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "groups[0].vhid: 99999999999999999999999 is out of range") || strings.Contains(err.Error(), "-9223372036854775808") {
		t.Errorf("LoadConfig: %v; want the vhid shown as written", err)
	}
}
