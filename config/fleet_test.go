package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/viper"
)

func loadFleetYAML(t *testing.T, yaml string, env map[string]string) ([]*Config, error) {
	t.Helper()
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewBufferString(yaml)); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return LoadFleet(v, func(k string) string { return env[k] })
}

const twoPairs = `
vsphere:
  url: https://vc-shared.example/sdk
  username: carpvm@vsphere.local
pairs:
  - name: site-a
    pair:
      routers: [router-002, router-003]
    networks:
      - {name: lan, portgroup: LAN-A, vhid: 1, vips: [10.1.0.1/24]}
  - name: site-b
    vsphere:
      url: https://vc-b.example/sdk
      username: b@vsphere.local
    pair:
      routers: [fw-1, fw-2]
    networks:
      - {name: lan, portgroup: LAN-B, vhid: 1, vips: [10.2.0.1/24]}
`

func TestFleetPairsOwnOrSharedVSphere(t *testing.T) {
	pairs, err := loadFleetYAML(t, twoPairs, map[string]string{"CARPVM_VSPHERE_PASSWORD": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 {
		t.Fatalf("got %d pairs, want 2", len(pairs))
	}
	a, b := pairs[0], pairs[1]
	if a.Pair.Name != "site-a" || b.Pair.Name != "site-b" {
		t.Errorf("names = %q, %q; want site-a, site-b", a.Pair.Name, b.Pair.Name)
	}
	if a.VSphere.URL != "https://vc-shared.example/sdk" || a.VSphere.Username != "carpvm@vsphere.local" {
		t.Errorf("site-a vsphere = %+v; want the shared top-level one", a.VSphere)
	}
	if b.VSphere.URL != "https://vc-b.example/sdk" || b.VSphere.Username != "b@vsphere.local" {
		t.Errorf("site-b vsphere = %+v; want its own", b.VSphere)
	}
	if a.VSphere.Password.Reveal() != "s3cret" || b.VSphere.Password.Reveal() != "s3cret" {
		t.Errorf("CARPVM_VSPHERE_PASSWORD not applied to every pair")
	}
	if a.Pair.Routers[1].VM != "router-003" || b.Pair.Routers[0].VM != "fw-1" || b.Networks[0].Portgroup != "LAN-B" {
		t.Errorf("pairs mixed up: a=%+v b=%+v", a.Pair, b.Pair)
	}
	if b.Networks[0].Master != "fw-1" {
		t.Errorf("site-b master = %q; want fw-1 (validated per pair)", b.Networks[0].Master)
	}
}

func TestFleetErrorsNameThePair(t *testing.T) {
	head := "pairs:\n  - name: site-a\n    pair: {routers: [a1, a2]}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"vhid", head + "  - name: site-b\n    pair: {routers: [b1, b2]}\n    networks: [{name: n, portgroup: P, vhid: 300, vips: [10.0.0.1/24]}]\n",
			[]string{"pairs[1] (site-b).networks[0].vhid", "1..255"}},
		{"unknown network key", head + "  - name: site-b\n    pair: {routers: [b1, b2]}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24], vhdi: 2}]\n",
			[]string{"pairs[1] (site-b).networks[0].vhdi", "unknown key"}},
		{"unknown pair key", head + "  - name: site-b\n    pair: {routers: [b1, b2], routerz: 1}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n",
			[]string{"pairs[1] (site-b).pair.routerz", "did you mean routers"}},
		{"unknown item key", head + "  - name: site-b\n    pair: {routers: [b1, b2]}\n    network: []\n",
			[]string{"pairs[1] (site-b).network", "did you mean networks"}},
		{"validation", head + "  - name: site-b\n    pair: {routers: [b1, b1]}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n",
			[]string{"pairs[1] (site-b).pair.routers", "distinct"}},
		{"password in file", head + "  - name: site-b\n    vsphere: {password: x}\n    pair: {routers: [b1, b2]}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n",
			[]string{"pairs[1] (site-b).vsphere.password", "not read from the config file"}},
		{"duplicate name", head + "  - name: site-a\n    pair: {routers: [b1, b2]}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n",
			[]string{"pairs[1] (site-a).name", "defined twice"}},
		{"no name", head + "  - pair: {routers: [b1, b2]}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n",
			[]string{"pairs[1].name", "missing"}},
		{"bad name", head + "  - name: 'b/../x'\n    pair: {routers: [b1, b2]}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n",
			[]string{"pairs[1]", "name", "letters, digits"}},
		{"pair.name disagrees", head + "  - name: site-b\n    pair: {name: other, routers: [b1, b2]}\n    networks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n",
			[]string{"pairs[1] (site-b).pair.name", "other"}},
		{"pairs beside pair", "pair: {routers: [a, b]}\n" + head, []string{"pairs", "pair", "not both"}},
		{"pairs beside networks", "networks: []\n" + head, []string{"pairs", "networks", "not both"}},
		{"unknown top key", "vspere: {url: x}\n" + head, []string{"vspere", "did you mean vsphere"}},
		{"empty", "pairs: []\n", []string{"pairs", "at least one"}},
		{"not a map", "pairs: [x]\n", []string{"pairs[0]", "want a map"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadFleetYAML(t, tt.yaml, nil)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %v is not a *config.Error (exit 2)", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestFleetSinglePairForm(t *testing.T) {
	pairs, err := loadFleetYAML(t, SimulatorYAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 1 || pairs[0].Pair.Name != "routers" || len(pairs[0].Networks) != 2 {
		t.Fatalf("single-pair file loaded as %+v", pairs)
	}
}

func TestFleetDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yaml", "pair: {name: site-b, routers: [b1, b2]}\nnetworks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n")
	write("a.yml", "pair: {name: site-a, routers: [a1, a2]}\nnetworks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n")
	write("README.txt", "not a config")
	pairs, err := LoadPath(dir, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got := Names(pairs); strings.Join(got, ",") != "site-a,site-b" {
		t.Errorf("pairs = %v; want site-a, site-b in file order", got)
	}

	write("c.yaml", "pair: {name: site-a, routers: [c1, c2]}\nnetworks: [{name: n, portgroup: P, vhid: 400, vips: [10.0.0.1/24]}]\n")
	_, err = LoadPath(dir, func(string) string { return "" })
	for _, w := range []string{"c.yaml (site-a).networks[0].vhid", "c.yaml (site-a).pair.name", "defined twice"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not mention %q", err, w)
		}
	}

	empty := t.TempDir()
	if _, err := LoadPath(empty, nil); err == nil || !strings.Contains(err.Error(), "no .yaml") {
		t.Errorf("empty directory: error %v; want one saying it holds no .yaml file", err)
	}
}

func TestSelectPair(t *testing.T) {
	pairs, err := loadFleetYAML(t, twoPairs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := SelectPair(pairs, "site-b"); err != nil || c.Pair.Name != "site-b" {
		t.Errorf("SelectPair(site-b) = %v, %v", c, err)
	}
	_, err = SelectPair(pairs, "site-c")
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "--pair" || !strings.Contains(err.Error(), "site-a, site-b") {
		t.Errorf("SelectPair(site-c) error = %v; want a --pair error listing site-a, site-b", err)
	}
	_, err = SelectPair(pairs, "")
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "--pair NAME") || !strings.Contains(err.Error(), "site-a, site-b") {
		t.Errorf("SelectPair(\"\") on two pairs: error = %v; want one asking for --pair NAME", err)
	}
	one := pairs[:1]
	if c, err := SelectPair(one, ""); err != nil || c != one[0] {
		t.Errorf("SelectPair on one pair without a name = %v, %v; want that pair", c, err)
	}
}

// LoadPathLogins reads each pair's name and vsphere settings as LoadPath
// does, without reading or checking pair or networks: a rollback needs
// only a login, even when a pair's networks no longer validate. The
// fleet's structure is still checked.
func TestLoadPathLogins(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	env := func(k string) string { return map[string]string{"GOVC_PASSWORD": "s3cret"}[k] }
	broken := strings.Replace(twoPairs, "vhid: 1, vips: [10.2.0.1/24]", "vhid: 300, vips: [10.2.0.1/24]", 1)
	fleet := write("fleet.yaml", broken)
	if _, err := LoadPath(fleet, env); err == nil || !strings.Contains(err.Error(), "vhid") {
		t.Fatalf("LoadPath of a fleet with vhid 300: %v; want the vhid refused", err)
	}
	pairs, err := LoadPathLogins(fleet, env)
	if err != nil {
		t.Fatal(err)
	}
	type login struct{ Name, URL, Username, Password string }
	got := func(pairs []*Config) []login {
		var out []login
		for _, c := range pairs {
			out = append(out, login{c.Pair.Name, c.VSphere.URL, c.VSphere.Username, c.VSphere.Password.Reveal()})
		}
		return out
	}
	want := []login{
		{"site-a", "https://vc-shared.example/sdk", "carpvm@vsphere.local", "s3cret"},
		{"site-b", "https://vc-b.example/sdk", "b@vsphere.local", "s3cret"},
	}
	if g := got(pairs); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("logins = %+v, want %+v", g, want)
	}

	sub := filepath.Join(dir, "fleet.d")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	write("fleet.d/a.yaml", "vsphere: {url: https://vc-a.example/sdk}\npair: {name: site-a}\n")
	write("fleet.d/b.yaml", "vsphere: {url: https://vc-b.example/sdk, username: b@vsphere.local}\npair: {name: site-b, routers: [b1, b1]}\n")
	if pairs, err = LoadPathLogins(sub, env); err != nil {
		t.Fatal(err)
	}
	want = []login{{"site-a", "https://vc-a.example/sdk", "", "s3cret"}, {"site-b", "https://vc-b.example/sdk", "b@vsphere.local", "s3cret"}}
	if g := got(pairs); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("directory logins = %+v, want %+v", g, want)
	}

	// A single-pair file: its vsphere alone, as before fleets.
	single := write("single.yaml", "vsphere: {url: https://vc.example/sdk}\n")
	if pairs, err = LoadPathLogins(single, env); err != nil || len(pairs) != 1 || pairs[0].VSphere.URL != "https://vc.example/sdk" || pairs[0].Pair.Name != "routers" {
		t.Errorf("single-pair file: %+v, %v; want one pair (routers) with its vsphere", got(pairs), err)
	}

	// The fleet's structure and the vsphere settings are still checked.
	for name, tc := range map[string]struct{ yaml, want string }{
		"password in file": {"pairs:\n  - name: a\n    vsphere: {password: x}\n", "pairs[0] (a).vsphere.password"},
		"duplicate name":   {"pairs:\n  - name: a\n  - name: a\n", "defined twice"},
		"unknown item key": {"pairs:\n  - name: a\n    vspere: {}\n", "did you mean vsphere"},
	} {
		_, err := LoadPathLogins(write(name+".yaml", tc.yaml), env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want one saying %q", name, err, tc.want)
		}
	}
}
