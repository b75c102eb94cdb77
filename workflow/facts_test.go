package workflow

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// The facts file holds the facts and the pair's networks, never a secret:
// no password, no thumbprint, no pass file, no credentials in the target.
func TestSaveFactsHoldsNoSecret(t *testing.T) {
	cfg := config.Simulator()
	cfg.VSphere.URL = "https://carpvm%40vsphere.local:hunter2-pw@vcenter.example/sdk"
	cfg.VSphere.Password = config.NewSecret("s3cret-password")
	cfg.VSphere.Thumbprint = "AA:BB:CC:thumb"
	cfg.VSphere.PasswordFile = "/etc/carpvm/vsphere.pw"
	f := &facts.Facts{Target: cfg.VSphere.URL, Networks: []facts.Network{{Name: "IntraNought", Found: true}}}
	path := filepath.Join(t.TempDir(), "facts.json")
	if err := SaveFacts(path, cfg, f, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2-pw", "s3cret-password", "thumb", "vsphere.pw", ".pass", "password"} {
		if strings.Contains(strings.ToLower(string(b)), strings.ToLower(secret)) {
			t.Errorf("facts file holds %q:\n%s", secret, b)
		}
	}
	if !strings.Contains(string(b), `"format": "carpvm.facts/v1"`) {
		t.Errorf("facts file has no format carpvm.facts/v1:\n%s", b)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("facts file mode: %v %v", st.Mode(), err)
	}
	got, gf, err := LoadFacts(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Networks) != 2 || got.Networks[1].VMAC.String() != "02:00:00:aa:bb:cc" || got.Networks[0].VHID != 1 || len(gf.Networks) != 1 {
		t.Errorf("loaded %+v %+v", got.Networks, gf)
	}
}

func TestLoadFactsErrorsNameTheFileAndWhatWasExpected(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"v2.json", `{"format": 2, "facts": {}}`, []string{"v2.json", `format 2: want "carpvm.facts/v1"`}},
		{"v2name.json", `{"format": "carpvm.facts/v2", "facts": {}}`, []string{"v2name.json", `format "carpvm.facts/v2": want "carpvm.facts/v1"`}},
		{"other.json", `{"format": "carpvm.sim/v1", "facts": {}}`, []string{"other.json", `format "carpvm.sim/v1"`}},
		{"none.json", `{"facts": {}}`, []string{"none.json", `no "format": want "carpvm.facts/v1"`}},
		{"odd.json", `{"format": true, "facts": {}}`, []string{"odd.json", `format true: want "carpvm.facts/v1"`}},
		{"garbage.json", `not json`, []string{"garbage.json", "preflight --save-facts"}},
		{"nofacts.json", `{"format": 1}`, []string{"nofacts.json", `no "facts"`}},
		{"onenet.json", `{"format": 1, "networks": [{"name": "intranought", "portgroup": "IntraNought", "vhid": 1}], "facts": {}}`,
			[]string{"onenet.json", `no network "public" (or portgroup Public)`, `"intranought" (portgroup IntraNought)`}},
	} {
		_, err := SwitchModelFromFacts(write(tc.name, tc.body))
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to say %q", tc.name, err, w)
			}
		}
	}
	if _, err := SwitchModelFromFacts(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// A facts file of the first version ("format": 1, before every document
// was "carpvm.KIND/v1") still loads.
func TestLoadFactsReadsFormatOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.json")
	body := `{"format": 1, "networks": [{"name": "intranought", "portgroup": "IntraNought", "vhid": 7}], "facts": {"target": "https://vc/sdk"}}`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, f, err := LoadFacts(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Networks) != 1 || cfg.Networks[0].VHID != 7 || f.Target != "https://vc/sdk" {
		t.Errorf("loaded %+v %+v", cfg.Networks, f)
	}
}

// Each simulator topology gives the lab the policy its portgroups have.
func TestSwitchModelFromTopologies(t *testing.T) {
	ctx := context.Background()
	quiet := func(string, ...any) {}
	for _, tc := range []struct {
		topology string
		net      string
		want     lab.Policy
	}{
		{"default", "intranought", lab.Policy{Portgroup: "IntraNought", Promiscuous: false, MACChanges: true, ForgedTransmits: true}},
		{"default", "public", lab.Policy{Portgroup: "Public", Promiscuous: false, MACChanges: true, ForgedTransmits: true, SharedMAC: "02:00:00:aa:bb:cc"}},
		{"portgroup-overrides", "intranought", lab.Policy{Portgroup: "IntraNought", Promiscuous: true, MACChanges: true, ForgedTransmits: true}},
		{"teamed", "public", lab.Policy{Portgroup: "Public", Promiscuous: true, MACChanges: true, ForgedTransmits: true, Reflect: true, SharedMAC: "02:00:00:aa:bb:cc"}},
		{"distributed-mac-learning", "intranought", lab.Policy{Portgroup: "IntraNought", Distributed: true, Promiscuous: false, MACChanges: true, ForgedTransmits: true, MACLearning: true}},
	} {
		m, err := SwitchModelFromTopology(ctx, tc.topology, quiet)
		if err != nil {
			t.Fatalf("%s: %v", tc.topology, err)
		}
		got := m.Nets[tc.net]
		if got.Checks.Promiscuous != "security.promiscuous" || got.Checks.Reflect != "host.reverse_path_promisc" {
			t.Errorf("%s %s: checks %+v", tc.topology, tc.net, got.Checks)
		}
		got.Checks = lab.Checks{}
		if got != tc.want {
			t.Errorf("%s %s:\n got %+v\nwant %+v", tc.topology, tc.net, got, tc.want)
		}
	}
}
