package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/vsphere/sim"
)

const fleetExample = "../../docs/examples/fleet.yaml"

// Without --pair, preflight checks every pair and prints a section per
// pair, each with its own summary; the exit code is the worst pair's.
func TestPreflightFleetTable(t *testing.T) {
	got := runCLI(t, nil, "preflight", "--sim", "--config", fleetExample)
	if got.code != exitCheckFailed {
		t.Fatalf("exit %d, want 1 (the simulator fails both pairs)\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
	}
	paris, roubaix := strings.Index(got.stdout, "== pair paris"), strings.Index(got.stdout, "== pair roubaix")
	if paris < 0 || roubaix < paris {
		t.Fatalf("want a section for paris, then roubaix:\n%s", got.stdout)
	}
	if n := strings.Count(got.stdout, "simulator: "); n != 2 {
		t.Errorf("%d summary lines, want one per pair:\n%s", n, got.stdout)
	}
	// roubaix has only IntraNought: its section names no public network.
	if strings.Contains(got.stdout[roubaix:], "public") {
		t.Errorf("roubaix's section mentions the public network, which only paris has:\n%s", got.stdout[roubaix:])
	}
}

func TestPreflightFleetJSON(t *testing.T) {
	got := runCLI(t, nil, "preflight", "--sim", "--config", fleetExample, "-o", "json")
	if got.code != exitCheckFailed {
		t.Fatalf("exit %d, want 1\n%s%s", got.code, got.stdout, got.stderr)
	}
	var fleet struct {
		Format string                       `json:"format"`
		Pairs  []map[string]json.RawMessage `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &fleet); err != nil || fleet.Format != "carpvm.fleet/v1" {
		t.Fatalf("not a carpvm.fleet/v1 document (format %q): %v\n%s", fleet.Format, err, got.stdout)
	}
	if !strings.HasPrefix(got.stdout, "{\n  \"format\": \"carpvm.fleet/v1\",\n  \"pairs\": [\n    {\n      \"format\"") {
		t.Errorf("the fleet's format, then each pair's, is not first:\n%.200s", got.stdout)
	}
	doc := fleet.Pairs
	if len(doc) != 2 {
		t.Fatalf("%d entries, want 2", len(doc))
	}
	for i, want := range []string{"paris", "roubaix"} {
		if string(doc[i]["pair"]) != `"`+want+`"` || string(doc[i]["format"]) != `"carpvm.preflight/v1"` || doc[i]["findings"] == nil {
			t.Errorf("entry %d: pair %s, format %s; want %s, carpvm.preflight/v1 and findings", i, doc[i]["pair"], doc[i]["format"], want)
		}
	}
}

// --pair narrows to one pair: the single-pair report, unchanged.
func TestPreflightFleetOnePair(t *testing.T) {
	got := runCLI(t, nil, "preflight", "--sim", "--config", fleetExample, "--pair", "roubaix")
	if got.code != exitCheckFailed || strings.Contains(got.stdout, "== pair") || strings.Contains(got.stdout, "public") {
		t.Errorf("exit %d, want roubaix's report alone:\n%s%s", got.code, got.stdout, got.stderr)
	}
}

func TestPreflightFleetUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown pair", []string{"preflight", "--sim", "--config", fleetExample, "--pair", "lyon"}, []string{`no pair named "lyon"`, "paris, roubaix"}},
		{"fix of a fleet with one --backup", []string{"preflight", "--sim", "--config", fleetExample, "--fix", "--yes", "--backup", filepath.Join(t.TempDir(), "b.json")}, []string{"--backup names one file", "paris, roubaix"}},
		{"fix of a fleet with one --save-facts", []string{"preflight", "--sim", "--config", fleetExample, "--fix", "--yes", "--save-facts", filepath.Join(t.TempDir(), "f.json")}, []string{"--save-facts names one file", "--pair NAME"}},
		{"save-facts without --pair", []string{"preflight", "--sim", "--config", fleetExample, "--save-facts", filepath.Join(t.TempDir(), "f.json")}, []string{"--save-facts", "--pair NAME"}},
		{"render without --pair", []string{"render", "freebsd", "--router", "router-002", "--config", fleetExample}, []string{"one pair at a time: --pair NAME"}},
		{"render unknown pair", []string{"render", "freebsd", "--router", "router-002", "--config", fleetExample, "--pair", "lyon"}, []string{`no pair named "lyon"`, "paris, roubaix"}},
		{"config check unknown pair", []string{"config", "check", "--config", fleetExample, "--pair", "lyon"}, []string{`no pair named "lyon"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, nil, tt.args...)
			if got.code != exitUsage {
				t.Errorf("exit %d, want 2\n%s%s", got.code, got.stdout, got.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("stderr %q does not say %q", got.stderr, w)
				}
			}
		})
	}
}

// The worst pair decides the exit code: a pair whose vCenter refuses
// (3) outweighs a pair whose checks fail (1), and the other pair's report
// is printed all the same.
func TestPreflightFleetWorstExit(t *testing.T) {
	ctx := context.Background()
	srv, err := sim.Start(ctx, sim.Topologies()["default"](), "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	vs := srv.VSphereConfig()
	dir := t.TempDir()
	pass := filepath.Join(dir, "vc.pass")
	if err := os.WriteFile(pass, []byte(vs.Password.Reveal()), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`pairs:
  - name: up
    vsphere: {url: %q, username: %q, thumbprint: %q, password_file: %q}
    pair: {routers: [router-002, router-003]}
    networks: [{name: intranought, portgroup: IntraNought, vhid: 1, vips: [172.27.27.14/28]}]
  - name: down
    vsphere: {url: "https://127.0.0.1:1/sdk", username: u, insecure: true, password_file: %q}
    pair: {routers: [router-002, router-003]}
    networks: [{name: intranought, portgroup: IntraNought, vhid: 1, vips: [172.27.27.14/28]}]
`, vs.URL, vs.Username, vs.Thumbprint, pass, pass)
	file := filepath.Join(dir, "carpvm.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	got := runCLI(t, nil, "preflight", "--config", file)
	if got.code != exitVSphere {
		t.Errorf("exit %d, want 3 (the worst pair's)\n%s%s", got.code, got.stdout, got.stderr)
	}
	if !strings.Contains(got.stdout, "== pair up") || !strings.Contains(got.stdout, "fail") {
		t.Errorf("the reachable pair's report is missing:\n%s", got.stdout)
	}
	if !strings.Contains(got.stdout, "== pair down") || !strings.Contains(got.stdout, "127.0.0.1:1") {
		t.Errorf("the unreachable pair's section does not say why:\n%s", got.stdout)
	}
	if strings.Contains(got.stdout+got.stderr, vs.Password.Reveal()) {
		t.Errorf("the vCenter password appears in the output")
	}
}

// config check summarises every pair of a fleet, or the one --pair names;
// a directory of carpvm.yaml files is a fleet too.
func TestConfigCheckFleet(t *testing.T) {
	got := runCLI(t, nil, "config", "check", "--config", fleetExample)
	if got.code != exitOK || !strings.Contains(got.stdout, "a valid carpvm.yaml, 2 pairs (paris, roubaix)") ||
		!strings.Contains(got.stdout, "pair paris: router-002") || !strings.Contains(got.stdout, "pair roubaix: router-003 (VM router-003, advskew 0)") {
		t.Errorf("exit %d:\n%s%s", got.code, got.stdout, got.stderr)
	}
	got = runCLI(t, nil, "config", "check", "--config", fleetExample, "--pair", "roubaix")
	if got.code != exitOK || strings.Contains(got.stdout, "paris") || !strings.Contains(got.stdout, "pair roubaix") {
		t.Errorf("--pair roubaix: exit %d:\n%s%s", got.code, got.stdout, got.stderr)
	}

	dir := t.TempDir()
	for name, body := range map[string]string{
		"a.yaml": "pair: {name: site-a, routers: [a1, a2]}\nnetworks: [{name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}]\n",
		"b.yaml": "pair: {name: site-b, routers: [b1, b2]}\nnetworks: [{name: n, portgroup: P, vhid: 300, vips: [10.0.0.1/24]}]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got = runCLI(t, nil, "config", "check", "--config", dir)
	if got.code != exitUsage || !strings.Contains(got.stderr, "b.yaml (site-b).networks[0].vhid") {
		t.Errorf("directory with a bad pair: exit %d, stderr %q; want 2 naming b.yaml (site-b)", got.code, got.stderr)
	}
}

// drill --pair drills one pair of a fleet; without it a fleet is refused
// (one pair at a time), and --pair means nothing to the lab.
func TestDrillFleetPair(t *testing.T) {
	got := runCLI(t, nil, "drill", "--sim", "--config", fleetExample, "--pair", "roubaix", "--dry-run", "--trigger", "power-off", "-o", "json")
	if got.code != exitOK || !strings.Contains(got.stdout, "no witness on vhid 5") || strings.Contains(got.stdout, "public") {
		t.Errorf("--pair roubaix --dry-run: exit %d, want roubaix's one network (vhid 5):\n%s%s", got.code, got.stdout, got.stderr)
	}
	got = runCLI(t, nil, "drill", "--lab", "--pair", "paris", "--dry-run")
	if got.code != exitUsage || !strings.Contains(got.stderr, "--pair") {
		t.Errorf("--lab --pair: exit %d, stderr %q; want a usage error", got.code, got.stderr)
	}
}
