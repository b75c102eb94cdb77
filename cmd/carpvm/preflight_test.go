package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
	"github.com/carpvm/carpvm/workflow"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func bptr(b bool) *bool { return &b }

// healthyFacts is the typical pair done right: two hosts of cluster prod
// with an anti-affinity rule, separate datastores, portgroups accepting all
// three security settings, the vmac on both routers.
func healthyFacts() *facts.Facts {
	accept := facts.Security{Promiscuous: bptr(true), MacChanges: bptr(true), ForgedTransmits: bptr(true)}
	one := int64(1)
	h := func(name string) facts.Host {
		return facts.Host{Name: name, Cluster: "prod", ConnectionState: "connected", ReversePathFwdCheckPromisc: &one,
			VSwitches: []facts.VSwitch{
				{Name: "vSwitch0", Uplinks: []string{"vmnic0", "vmnic1"}, ActiveUplinks: []string{"vmnic0", "vmnic1"}, Security: accept},
				{Name: "vSwitch1", Uplinks: []string{"vmnic2"}, ActiveUplinks: []string{"vmnic2"}, Security: accept},
			},
			Portgroups: []facts.Portgroup{
				{Name: "Public", VSwitch: "vSwitch0", VLAN: 10, Computed: accept},
				{Name: "IntraNought", VSwitch: "vSwitch1", VLAN: 20, Computed: accept},
			}}
	}
	r := func(name, host, ds, mac string) facts.VM {
		return facts.VM{Name: name, Found: true, PowerState: "poweredOn", Host: host, Datastores: []string{ds},
			NICs: []facts.NIC{
				{Label: "Network adapter 1", Type: "vmxnet3", MAC: mac, AddressType: "generated", Connected: true, StartConnected: true, Network: "IntraNought", Kind: facts.KindStandard},
				{Label: "Network adapter 2", Type: "vmxnet3", MAC: "02:00:00:aa:bb:cc", AddressType: "manual", Connected: true, StartConnected: true, Network: "Public", Kind: facts.KindStandard},
			}}
	}
	return &facts.Facts{
		Target:   "https://vc.example/sdk",
		VMs:      []facts.VM{r("router-002", "esx-01", "ds-a", "00:50:56:00:00:02"), r("router-003", "esx-02", "ds-b", "00:50:56:00:00:03")},
		Hosts:    []facts.Host{h("esx-01"), h("esx-02")},
		Clusters: []facts.Cluster{{Name: "prod", Hosts: []string{"esx-01", "esx-02"}, DRSEnabled: true, Rules: []facts.Rule{{Name: "carp", Kind: facts.RuleAntiAffinity, Enabled: true, VMs: []string{"router-002", "router-003"}}}}},
		Networks: []facts.Network{{Name: "IntraNought", Found: true, Kind: facts.KindStandard}, {Name: "Public", Found: true, Kind: facts.KindStandard}},
	}
}

// fakeGather hands out f (a copy per call) or err, as a vSphere would.
func fakeGather(f *facts.Facts, err error) gatherFunc {
	return func(ctx context.Context, cfg *config.Config, _ string, progress func(string, ...any)) (*facts.Facts, error) {
		if err != nil {
			return nil, err
		}
		c := *f
		return &c, nil
	}
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runPreflight runs preflightRun as the command does, through the exit
// code decision of run().
func runPreflight(t *testing.T, opts preflightOptions) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.IO = IOStreams{Out: &out, ErrOut: &errOut}
	if opts.LoadConfig == nil {
		opts.LoadConfig = func(bool) (*config.Config, error) { return config.Simulator(), nil }
	}
	if opts.Output == "" {
		opts.Output = "table"
	}
	err := preflightRun(context.Background(), &opts)
	code, print := exitCodeOf(err)
	if print {
		errOut.WriteString("carpvm: " + err.Error() + "\n")
	}
	return runResult{code, out.String(), errOut.String()}
}

// runCLI runs the whole command line.
func runCLI(t *testing.T, env map[string]string, args ...string) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(k string) string { return env[k] })
	return runResult{code, out.String(), errOut.String()}
}

func TestPreflightExitCodes(t *testing.T) {
	warnOnly := healthyFacts()
	warnOnly.VMs[1].Datastores = []string{"ds-a"} // spof.same_datastore warns
	failing := healthyFacts()
	failing.VMs[1].Host = "esx-01" // spof.same_host fails
	tests := []struct {
		name   string
		f      *facts.Facts
		err    error
		strict bool
		want   int
	}{
		{"all pass", healthyFacts(), nil, false, exitOK},
		{"all pass, strict", healthyFacts(), nil, true, exitOK},
		{"warnings only", warnOnly, nil, false, exitOK},
		{"warnings only, strict", warnOnly, nil, true, exitCheckFailed},
		{"a check fails", failing, nil, false, exitCheckFailed},
		// workflow.Gather's failures are *workflow.BackendError.
		{"vSphere refused", nil, &workflow.BackendError{Step: "connect", Err: errors.New("vsphere: login: ServerFaultCode: Cannot complete login")}, false, exitVSphere},
		{"configuration error from the connection", nil, &config.Error{Key: "vsphere.url", Msg: "missing"}, false, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runPreflight(t, preflightOptions{Gather: fakeGather(tt.f, tt.err), Strict: tt.strict})
			if got.code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tt.want, got.stdout, got.stderr)
			}
			if tt.err != nil && !strings.Contains(got.stderr, tt.err.Error()) {
				t.Errorf("stderr %q does not carry the error %q", got.stderr, tt.err)
			}
		})
	}
}

func TestPreflightUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("pair:\n  routers: [router-002, router-003]\nnetworks:\n  - {name: n, portgroup: P, vhid: 300, vips: [10.0.0.1/24]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"bad output", []string{"preflight", "--sim", "-o", "yaml"}, []string{`-o "yaml"`, "table or json"}},
		{"fix scope", []string{"preflight", "--sim", "--fix", "--scope", "host"}, []string{"--scope", "portgroup or vswitch"}},
		{"yes without fix", []string{"preflight", "--sim", "--yes"}, []string{"--yes needs --fix"}},
		{"every fix flag without fix", []string{"preflight", "--sim", "--set-vmac", "--relocate", "--dvs-mode", "mac-learning"}, []string{"--dvs-mode, --relocate, --set-vmac needs --fix"}},
		{"vhid out of range", []string{"preflight", "--config", bad}, []string{"networks[0].vhid", "300", "1..255"}},
		{"missing config file", []string{"preflight", "--config", filepath.Join(dir, "nope.yaml")}, []string{"--config", "nope.yaml"}},
		{"no config", []string{"preflight"}, []string{"--config", "--sim"}},
		{"stray argument", []string{"preflight", "now"}, []string{"now"}},
		{"unknown flag", []string{"preflight", "--frobnicate"}, []string{"frobnicate"}},
		{"unknown topology", []string{"preflight", "--sim", "--topology", "tiny"}, []string{`--topology "tiny"`, "default", "teamed"}},
		{"topology without sim", []string{"preflight", "--topology", "teamed"}, []string{"--topology needs --sim"}},
		{"inventory without sim", []string{"preflight", "--inventory-hosts", "10"}, []string{"--inventory-hosts and --inventory-vms need --sim"}},
		{"inventory VMs without hosts", []string{"preflight", "--sim", "--inventory-vms", "10"}, []string{"--inventory-vms 10 needs --inventory-hosts"}},
		{"inventory beyond vCenter", []string{"preflight", "--sim", "--inventory-hosts", "2501"}, []string{"--inventory-hosts 2501", "0 to 2500"}},
		{"sim inventory beyond vCenter", []string{"sim", "--inventory-hosts", "1", "--inventory-vms", "40001"}, []string{"--inventory-vms 40001", "0 to 40000"}},
		{"unknown check", []string{"preflight", "--sim", "--check", "security.promisc"}, []string{"--check", `"security.promisc"`, "security.promiscuous"}},
		{"check with fix", []string{"preflight", "--sim", "--fix", "--check", "vhid.unique"}, []string{"--check does not go with --fix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, nil, tt.args...)
			if got.code != exitUsage {
				t.Errorf("exit %d, want %d\nstderr:\n%s", got.code, exitUsage, got.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("stderr %q does not mention %q", got.stderr, w)
				}
			}
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing on a usage error", got.stdout)
			}
		})
	}
}

// TestPreflightTargetHasNoCredentials: GOVC_URL often carries user:password.
func TestPreflightTargetHasNoCredentials(t *testing.T) {
	f := healthyFacts()
	f.Target = ""
	cfg := config.Simulator()
	cfg.VSphere.URL = "https://admin:hunter2@vc.example/sdk"
	got := runPreflight(t, preflightOptions{
		Gather:     fakeGather(f, nil),
		LoadConfig: func(bool) (*config.Config, error) { return cfg, nil },
		Output:     "json",
	})
	var doc preflight.Report
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, got.stdout)
	}
	if doc.Target != "https://vc.example/sdk" {
		t.Errorf("target = %q, want https://vc.example/sdk", doc.Target)
	}
	if strings.Contains(got.stdout+got.stderr, "hunter2") {
		t.Error("the password leaks into the output")
	}
}

// TestPreflightPlainTable: off a terminal the table has no borders and one
// finding per line, each line starting with its check ID.
func TestPreflightPlainTable(t *testing.T) {
	f := healthyFacts()
	f.VMs[1].Host = "esx-01"
	got := runPreflight(t, preflightOptions{Gather: fakeGather(f, nil)})
	lines := strings.Split(strings.TrimRight(got.stdout, "\n"), "\n")
	rep := preflight.Run(config.Simulator(), f)
	// header, one line per finding, a blank line, the summary
	if len(lines) != len(rep.Findings)+3 {
		t.Fatalf("%d lines for %d findings:\n%s", len(lines), len(rep.Findings), got.stdout)
	}
	if !strings.HasPrefix(strings.TrimSpace(lines[0]), "CHECK") {
		t.Errorf("header = %q", lines[0])
	}
	for i, fd := range rep.Findings {
		fields := strings.Fields(lines[i+1])
		if len(fields) < 2 || fields[0] != string(fd.Check) || fields[1] != string(fd.Status) {
			t.Errorf("line %d = %q, want %s %s first", i+1, lines[i+1], fd.Check, fd.Status)
		}
	}
	if want := "https://vc.example/sdk: 34 pass, 0 warn, 1 fail"; lines[len(lines)-1] != want {
		t.Errorf("summary line = %q, want %q", lines[len(lines)-1], want)
	}
	if strings.ContainsAny(got.stdout, "│┌─+|") {
		t.Errorf("plain output has borders:\n%s", got.stdout)
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/carpvm -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestPreflightSim runs the command end to end against the embedded
// simulator: the typical topology fails (exit 1) and prints the table or
// the JSON document of testdata/.
func TestPreflightSim(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a vCenter simulator")
	}
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"table", []string{"preflight", "--sim", "--progress"}, "preflight-sim.golden"},
		{"json", []string{"preflight", "--sim", "-o", "json", "--progress"}, "preflight-sim-json.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, nil, tt.args...)
			if got.code != exitCheckFailed {
				t.Errorf("exit %d, want %d\nstderr:\n%s", got.code, exitCheckFailed, got.stderr)
			}
			golden(t, tt.golden, got.stdout)
			for _, w := range []string{"starting the embedded vSphere simulator", "connecting to https://127.0.0.1:"} {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("stderr %q lacks the progress line %q", got.stderr, w)
				}
			}
		})
	}
	t.Run("json is the report", func(t *testing.T) {
		got := runCLI(t, nil, "preflight", "--sim", "-o", "json")
		var doc preflight.Report
		if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
			t.Fatalf("stdout is not one JSON document: %v", err)
		}
		if doc.Target != "simulator" || doc.Summary != (preflight.Summary{Pass: 23, Warn: 1, Fail: 3}) {
			t.Errorf("target %q, summary %+v", doc.Target, doc.Summary)
		}
	})
}

// TestPreflightTopologyAndChecks: --topology picks the simulated inventory
// and --check narrows the findings, the summary and the exit status to the
// checks named.
func TestPreflightTopologyAndChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a vCenter simulator")
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		statuses map[string]preflight.Status // check/network -> status
	}{
		{"teamed vSwitch without the reverse-path option",
			[]string{"--topology", "teamed", "--check", "host.reverse_path_promisc,security.promiscuous"}, exitCheckFailed,
			map[string]preflight.Status{
				"security.promiscuous/intranought": preflight.Fail, "security.promiscuous/public": preflight.Pass,
				"host.reverse_path_promisc/intranought": preflight.Pass, "host.reverse_path_promisc/public": preflight.Fail,
			}},
		{"default topology has one VHID per portgroup",
			[]string{"--check", "vhid.unique"}, exitOK,
			map[string]preflight.Status{"vhid.unique/intranought": preflight.Pass, "vhid.unique/public": preflight.Pass}},
		{"a VRRP neighbour on the vhid's MAC",
			[]string{"--topology", "vrrp-neighbour", "--check", "vmac.conflict"}, exitCheckFailed,
			map[string]preflight.Status{"vmac.conflict/intranought": preflight.Fail, "vmac.conflict/public": preflight.Pass}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, nil, append([]string{"preflight", "--sim", "-o", "json"}, tt.args...)...)
			if got.code != tt.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", got.code, tt.code, got.stderr)
			}
			var doc preflight.Report
			if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, got.stdout)
			}
			statuses := map[string]preflight.Status{}
			for _, f := range doc.Findings {
				statuses[string(f.Check)+"/"+f.Network] = f.Status
			}
			if diff := cmp.Diff(tt.statuses, statuses); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPreflightUnreachable: a vCenter URL on a closed loopback port exits 3
// with an error naming it, and never prints the password.
func TestPreflightUnreachable(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "carpvm.yaml")
	yaml := "vsphere:\n  url: https://127.0.0.1:1/sdk\n  username: carpvm@vsphere.local\n" + config.SimulatorYAML
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	got := runCLI(t, map[string]string{"CARPVM_VSPHERE_PASSWORD": "s3cret-pw"}, "preflight", "--config", cfgFile)
	if got.code != exitVSphere {
		t.Errorf("exit %d, want %d\nstderr:\n%s", got.code, exitVSphere, got.stderr)
	}
	if !strings.Contains(got.stderr, "127.0.0.1:1") {
		t.Errorf("stderr %q does not name the server", got.stderr)
	}
	if strings.Contains(got.stdout+got.stderr, "s3cret-pw") {
		t.Error("the password leaks into the output")
	}
	if got.stdout != "" {
		t.Errorf("stdout = %q, want nothing", got.stdout)
	}
}
