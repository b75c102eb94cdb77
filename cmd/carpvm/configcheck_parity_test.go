package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badVSphereYAML has a URL and a thumbprint preflight refuses and routers
// of equal advskew: three errors of two sections.
const badVSphereYAML = `vsphere:
  url: "not a url"
  username: carpvm@vsphere.local
  thumbprint: "ZZ:12:34"
pair:
  routers:
    - {name: router-002, advskew: 0}
    - {name: router-003, advskew: 0}
networks:
  - {name: intranought, portgroup: IntraNought, vhid: 1, vips: [172.27.27.14/28]}
`

// TestConfigCheckRefusesWhatPreflightRefuses: config check and preflight
// read the file through one validator, so each refuses the vsphere URL
// and thumbprint the other does, and both report every error at once.
func TestConfigCheckRefusesWhatPreflightRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carpvm.yaml")
	if err := os.WriteFile(path, []byte(badVSphereYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	want := []string{"vsphere.url: not a valid URL", `vsphere.thumbprint: "ZZ:12:34"`, "pair.routers[1].advskew"}
	for _, args := range [][]string{{"config", "check", "--config", path}, {"preflight", "--config", path}} {
		got := runCLI(t, map[string]string{"CARPVM_VSPHERE_PASSWORD": "pw"}, args...)
		if got.code != exitUsage {
			t.Errorf("%s: exit %d, want %d\nstderr:\n%s", strings.Join(args[:len(args)-2], " "), got.code, exitUsage, got.stderr)
		}
		for _, w := range want {
			if !strings.Contains(got.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", strings.Join(args[:len(args)-2], " "), w, got.stderr)
			}
		}
	}
}

// TestConfigCheckJSON: -o json is one carpvm.config-check/v1 document,
// every error a {key, message}, whether the file is valid (exit 0) or not
// (exit 2); found through CARPVM_CONFIG as the commands find it.
func TestConfigCheckJSON(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	bad := filepath.Join(t.TempDir(), "carpvm.yaml")
	if err := os.WriteFile(bad, []byte(badVSphereYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	type doc struct {
		Format string `json:"format"`
		Path   string `json:"path"`
		Kind   string `json:"kind"`
		Valid  bool   `json:"valid"`
		Errors []struct {
			Key     string `json:"key"`
			Message string `json:"message"`
		} `json:"errors"`
		Pairs []struct {
			Name     string `json:"name"`
			Networks []struct {
				Name   string `json:"name"`
				Groups []struct {
					VHID   int    `json:"vhid"`
					Master string `json:"master"`
				} `json:"groups"`
			} `json:"networks"`
		} `json:"pairs"`
	}
	got := runCLI(t, map[string]string{"CARPVM_CONFIG": bad}, "config", "check", "-o", "json")
	var d doc
	if err := json.Unmarshal([]byte(got.stdout), &d); err != nil {
		t.Fatalf("exit %d: %v\nstdout:\n%s\nstderr:\n%s", got.code, err, got.stdout, got.stderr)
	}
	if got.code != exitUsage || d.Format != "carpvm.config-check/v1" || d.Valid || d.Path != bad || d.Kind != "carpvm.yaml" {
		t.Errorf("exit %d, document %+v", got.code, d)
	}
	keys := map[string]bool{}
	for _, e := range d.Errors {
		keys[e.Key] = e.Message != ""
	}
	for _, k := range []string{"vsphere.url", "vsphere.thumbprint", "pair.routers[1].advskew"} {
		if !keys[k] {
			t.Errorf("errors lack %s: %+v", k, d.Errors)
		}
	}

	got = runCLI(t, nil, "config", "check", "--config", "docs/examples/active-active.yaml", "-o", "json")
	d = doc{}
	if err := json.Unmarshal([]byte(got.stdout), &d); err != nil || got.code != exitOK || !d.Valid || len(d.Errors) != 0 ||
		len(d.Pairs) != 1 || len(d.Pairs[0].Networks) == 0 || len(d.Pairs[0].Networks[0].Groups) == 0 {
		t.Errorf("valid file: exit %d, %v, %+v\n%s", got.code, err, d, got.stdout)
	}
	if !strings.Contains(got.stdout, `"errors": []`) {
		t.Errorf("a valid file's errors are not []:\n%s", got.stdout)
	}
}
