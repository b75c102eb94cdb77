package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/viper"
)

func loadYAML(t *testing.T, yaml string, env map[string]string) (*Config, error) {
	t.Helper()
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewBufferString(yaml)); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return Load(v, func(k string) string { return env[k] })
}

func TestSimulatorConfig(t *testing.T) {
	c := Simulator()
	want := []Router{{Name: "router-002", VM: "router-002", AdvSkew: 0}, {Name: "router-003", VM: "router-003", AdvSkew: 100}}
	if diff := cmp.Diff(want, c.Pair.Routers); diff != "" {
		t.Errorf("routers (-want +got):\n%s", diff)
	}
	pub, ok := c.Network("public")
	if !ok || pub.VMAC.String() != "02:00:00:aa:bb:cc" || pub.VHID != 2 || pub.AdvBase != 1 {
		t.Errorf("public network = %+v", pub)
	}
	in, _ := c.Network("intranought")
	if in.VIPs[0] != netip.MustParsePrefix("172.27.27.14/28") || in.VirtualMAC().String() != "00:00:5e:00:01:01" {
		t.Errorf("intranought network = %+v", in)
	}
}

func TestFullRouterForm(t *testing.T) {
	c, err := loadYAML(t, `
pair:
  routers:
    - {name: a, vm: router-002, advskew: 0}
    - {name: b, vm: router-003, advskew: 50}
networks:
  - {name: n, portgroup: P, vhid: 9, vips: [10.0.0.1]}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Router{{Name: "a", VM: "router-002"}, {Name: "b", VM: "router-003", AdvSkew: 50}}
	if diff := cmp.Diff(want, c.Pair.Routers); diff != "" {
		t.Errorf("routers (-want +got):\n%s", diff)
	}
	if got := c.Networks[0].VIPs[0].String(); got != "10.0.0.1/32" {
		t.Errorf("bare VIP parsed as %s, want 10.0.0.1/32", got)
	}
}

func TestBadInputNamesKeyAndValue(t *testing.T) {
	base := "pair:\n  routers: [router-002, router-003]\nnetworks:\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"vhid out of range", base + "  - {name: n, portgroup: P, vhid: 256, vips: [10.0.0.1/24]}", []string{"networks[0].vhid", "256", "1..255"}},
		{"vhid zero", base + "  - {name: n, portgroup: P, vhid: 0, vips: [10.0.0.1/24]}", []string{"networks[0].vhid", "1..255"}},
		{"malformed vip", base + "  - {name: n, portgroup: P, vhid: 1, vips: [172.27.27.14/33]}", []string{"networks[0].vips[0]", "172.27.27.14/33"}},
		{"malformed mac", base + "  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24], vmac: '02:00:zz'}", []string{"networks[0].vmac", "02:00:zz"}},
		{"multicast mac", base + "  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24], vmac: '01:00:5e:00:00:01'}", []string{"networks[0].vmac", "multicast"}},
		{"no portgroup", base + "  - {name: n, vhid: 1, vips: [10.0.0.1/24]}", []string{"networks[0].portgroup", "missing"}},
		{"no vips", base + "  - {name: n, portgroup: P, vhid: 1}", []string{"networks[0].vips"}},
		{"duplicate vhid", base + "  - {name: a, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}\n  - {name: b, portgroup: P, vhid: 1, vips: [10.0.0.2/24]}", []string{"networks[1].vhid", "already used"}},
		{"one router", "pair:\n  routers: [router-002]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"pair.routers", "exactly two"}},
		{"same router twice", "pair:\n  routers: [r, r]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"pair.routers", "distinct"}},
		{"advskew", "pair:\n  routers: [{vm: a, advskew: 255}, b]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"pair.routers[0].advskew", "0..254"}},
		{"equal advskew", "pair:\n  routers: [{vm: router-002, advskew: 100}, {vm: router-003, advskew: 100}]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"pair.routers[1].advskew", "100, the same as router-002's", "no tie-break"}},
		{"unknown top-level key", "netwroks: []\n" + base + "  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"netwroks", "unknown key", "did you mean networks?"}},
		{"unknown vsphere key", "vsphere: {usrname: x}\n" + base + "  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"vsphere.usrname", "did you mean username?"}},
		{"unknown pair key", "pair:\n  routers: [router-002, router-003]\n  nmae: x\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"pair.nmae", "did you mean name?"}},
		{"misspelt router key", "pair:\n  routers: [{vm: a, advskw: 5}, b]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"pair.routers[0].advskw", "did you mean advskew?"}},
		{"misspelt network key", base + "  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24], pasfile: /x}", []string{"networks[0].pasfile", "did you mean pass_file?"}},
		{"unknown key far from any", base + "  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24], colour: blue}", []string{"networks[0].colour", "unknown key; want one of"}},
		{"password in file", "vsphere: {password: hunter2}\n" + base + "  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", []string{"vsphere.password", "CARPVM_VSPHERE_PASSWORD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, tt.yaml, nil)
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestGOVCEnvironmentAndPassword(t *testing.T) {
	c, err := loadYAML(t, "pair:\n  routers: [a, b]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", map[string]string{
		"GOVC_URL": "https://vc.example/sdk", "GOVC_USERNAME": "admin", "GOVC_PASSWORD": "s3cret!", "GOVC_INSECURE": "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.VSphere.URL != "https://vc.example/sdk" || c.VSphere.Username != "admin" || !c.VSphere.Insecure || c.VSphere.Password.Reveal() != "s3cret!" {
		t.Errorf("vsphere = %+v", c.VSphere)
	}
	js, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c.VSphere), string(js)} {
		if strings.Contains(s, "s3cret!") {
			t.Errorf("password printed: %s", s)
		}
	}
}

func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadYAML(t, "vsphere: {password_file: "+pw+"}\npair:\n  routers: [a, b]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.VSphere.Password.Reveal() != "from-file" {
		t.Errorf("password = %q, want from-file", c.VSphere.Password.Reveal())
	}
}

func TestAddresses(t *testing.T) {
	c, err := loadYAML(t, "pair:\n  routers: [Router-A, router-b]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24], addresses: {Router-A: 10.0.0.2/24, router-b: 10.0.0.3/24}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]netip.Prefix{"Router-A": netip.MustParsePrefix("10.0.0.2/24"), "router-b": netip.MustParsePrefix("10.0.0.3/24")}
	if diff := cmp.Diff(want, c.Networks[0].Addresses, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	_, err = loadYAML(t, "pair:\n  routers: [a, b]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24], addresses: {c: 10.0.0.2/24}}", nil)
	if err == nil || !strings.Contains(err.Error(), `no router named "c"`) {
		t.Errorf("unknown router in addresses: err = %v", err)
	}
}

// TestPasswordFileBeatsGOVCPassword: GOVC_* fill only unset keys, so
// password_file wins over GOVC_PASSWORD; CARPVM_VSPHERE_PASSWORD, carpvm's
// own key, wins over both.
func TestPasswordFileBeatsGOVCPassword(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := "vsphere: {password_file: " + pw + "}\npair:\n  routers: [a, b]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}"
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GOVC_PASSWORD": "from-govc"}, "from-file"},
		{map[string]string{"GOVC_PASSWORD": "from-govc", "CARPVM_VSPHERE_PASSWORD": "from-carpvm"}, "from-carpvm"},
	} {
		c, err := loadYAML(t, yaml, tt.env)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.VSphere.Password.Reveal(); got != tt.want {
			t.Errorf("env %v: password from %q, want %q", keys(tt.env), got, tt.want)
		}
	}
	// Without a password file, GOVC_PASSWORD fills the unset key.
	c, err := loadYAML(t, "pair:\n  routers: [a, b]\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}", map[string]string{"GOVC_PASSWORD": "from-govc"})
	if err != nil || c.VSphere.Password.Reveal() != "from-govc" {
		t.Errorf("GOVC_PASSWORD alone: %v", err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestLoadVSphereAlone: the vsphere settings load without pair or
// networks, from GOVC_* alone, for commands that only log in.
func TestLoadVSphereAlone(t *testing.T) {
	vs, err := LoadVSphere(viper.New(), func(k string) string {
		return map[string]string{"GOVC_URL": "https://vc.example/sdk", "GOVC_USERNAME": "admin", "GOVC_PASSWORD": "pw", "GOVC_INSECURE": "true"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if vs.URL != "https://vc.example/sdk" || vs.Username != "admin" || vs.Password.Reveal() != "pw" || !vs.Insecure {
		t.Errorf("vsphere = %+v", vs)
	}
}

// TestParseVIPOneRuleForEveryInput: carpvm.yaml, node.yaml and the flags
// share one parser, so a bare multicast address or a zoned IPv6 address
// is refused in carpvm.yaml as it is in node.yaml.
func TestParseVIPOneRuleForEveryInput(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want: the prefix, or a word of the error
	}{
		{"172.27.27.14/28", "172.27.27.14/28"},
		{"172.27.27.14", "172.27.27.14/32"},
		{" 2001:db8::1 ", "2001:db8::1/128"},
		{"fe80::1/64", "fe80::1/64"},
		{"224.0.0.18", "unicast"},
		{"127.0.0.1/8", "unicast"},
		{"0.0.0.0", "unicast"},
		{"fe80::1%eth0", "zone"},
		{"::ffff:10.0.0.1", "IPv4-mapped"},
		{"10.0.0.1/33", "CIDR"},
		{"router", "IP address"},
	} {
		p, err := ParseVIP(tc.in)
		got := p.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("ParseVIP(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
