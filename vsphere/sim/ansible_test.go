package sim_test

import (
	"bufio"
	"encoding/json"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/testbin"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// TestAnsibleCommunityVMware: Ansible's community.vmware collection
// (Debian's ansible 7.7, collection 3.7), connection: local, runs
// testdata/ansible/site.yml against `carpvm sim` for each topology, the
// login from the simulator's credentials file alone: vmware_host_facts
// (it asks the host's vSAN system), vmware_guest_info, vmware_vm_info,
// vmware_portgroup_info, vmware_vswitch_info, vmware_dvs_portgroup_info,
// vmware_portgroup accepting promiscuous mode on IntraNought and
// vmware_host_config_manager setting Net.ReversePathFwdCheckPromisc; then
// carpvm preflight, from the same file, sees both changes.
func TestAnsibleCommunityVMware(t *testing.T) {
	playbook := ansiblePlaybook(t)
	py := pythonWithPyvmomi(t)
	// community.vmware's vmware_guest_info serialises with pyvmomi's
	// VmomiJSONEncoder (pyvmomi 6.7.1.2018.12 and later); Debian's 6.7.1
	// has none, so the module fails whatever the server.
	jsonEncoder := exec.Command(py, "-c", "from pyVmomi import VmomiSupport; VmomiSupport.VmomiJSONEncoder").Run() == nil
	if !jsonEncoder {
		t.Logf("vmware_guest_info not run: %s's pyVmomi lacks VmomiJSONEncoder, which the module needs with any server", py)
	}
	carpvm := testbin.Carpvm(t)
	topologies := sim.Topologies()
	for _, name := range slices.Sorted(maps.Keys(topologies)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			topo := topologies[name]()
			creds := startCarpvmSim(t, carpvm, name)
			vars := ansibleVars(topo)
			vars["pyvmomi_json"] = jsonEncoder
			before := preflightFromCredentials(t, carpvm, creds)

			out := runPlaybook(t, playbook, "site.yml", vars, creds, py)
			if !strings.Contains(string(out), "failed=0") {
				t.Errorf("playbook recap has failures:\n%s", out)
			}

			after := preflightFromCredentials(t, carpvm, creds)
			if vars["portgroup"] != "" {
				if got := after[string(preflight.CheckPromiscuous)+"/intranought"]; got != preflight.Pass {
					t.Errorf("after vmware_portgroup accepted promiscuous mode on %s: %s for intranought is %q (before %q), want pass",
						sim.PortgroupInternal, preflight.CheckPromiscuous, got, before[string(preflight.CheckPromiscuous)+"/intranought"])
				}
			}
			for key, status := range after {
				if strings.HasPrefix(key, string(preflight.CheckReversePathPromisc)+"/") && status == preflight.Fail {
					t.Errorf("after vmware_host_config_manager set %s=1 on every host: %s is fail (before %q)",
						sim.OptionReversePathFwdCheckPromisc, key, before[key])
				}
			}
		})
	}
}

// ansiblePlaybook is ansible-playbook with the community.vmware collection,
// or skips the test.
func ansiblePlaybook(t *testing.T) string {
	t.Helper()
	playbook, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("no ansible-playbook: install Debian's ansible (scripts/install-test-deps does, as root)")
	}
	out, err := exec.Command("ansible-galaxy", "collection", "list", "community.vmware").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "community.vmware") {
		t.Skipf("ansible has no community.vmware collection: install Debian's ansible (scripts/install-test-deps does, as root): %v\n%s", err, out)
	}
	return playbook
}

// ansibleVars are the playbook's names for topo (see site.yml).
func ansibleVars(topo sim.Topology) map[string]any {
	vars := map[string]any{"datacenter": topo.Datacenter, "portgroup": "", "switch": "", "vlan": 0, "dvswitch": "", "cluster": ""}
	// Empty lists, not null: a loop over one must be a list even when skipped.
	hosts, pgHosts, vms := []string{}, []string{}, []string{}
	clusters := map[string]bool{}
	for _, h := range topo.Hosts {
		hosts = append(hosts, h.Name)
		clusters[h.Cluster] = true
		for _, pg := range h.Portgroups {
			if pg.Name == sim.PortgroupInternal {
				pgHosts = append(pgHosts, h.Name)
				vars["portgroup"], vars["switch"], vars["vlan"] = pg.Name, pg.VSwitch, pg.VLAN
			}
		}
	}
	for _, vm := range topo.VMs {
		vms = append(vms, vm.Name)
	}
	if len(clusters) == 1 {
		vars["cluster"] = topo.Hosts[0].Cluster
	}
	if len(topo.Switches) > 0 {
		vars["dvswitch"] = topo.Switches[0].Name
	}
	vars["host"], vars["all_hosts"], vars["pg_hosts"], vars["vms"] = hosts[0], hosts, pgHosts, vms
	return vars
}

// startCarpvmSim runs `carpvm sim -o json` for topology until the test ends
// and returns its credentials file's variables.
func startCarpvmSim(t *testing.T, carpvm, topology string) map[string]string {
	t.Helper()
	credsFile := filepath.Join(t.TempDir(), "sim.env")
	cmd := exec.Command(carpvm, "sim", "--listen", "127.0.0.1:0", "--topology", topology, "-o", "json", "--credentials-file", credsFile)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	})
	var doc struct {
		CredentialsFile string `json:"credentials_file"`
	}
	if err := json.NewDecoder(stdout).Decode(&doc); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("carpvm sim -o json: %v\n%s", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	creds, err := readCredentials(doc.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// readCredentials reads the KEY=VALUE lines of a credentials file.
func readCredentials(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vars[k] = strings.Trim(v, "'")
		}
	}
	return vars, sc.Err()
}

// ansibleEnv is the module's connection as community.vmware takes it, in
// the environment only, verifying the certificate the credentials file
// names (SSL_CERT_FILE, which pyvmomi's default TLS context reads).
// runPlaybook runs testdata/ansible/book with vars against the simulator of
// creds and returns its output; a failed run, or one that printed the
// password, fails the test.
func runPlaybook(t *testing.T, playbook, book string, vars map[string]any, creds map[string]string, py string) []byte {
	t.Helper()
	varsFile := filepath.Join(t.TempDir(), "vars.json")
	b, err := json.Marshal(vars)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(varsFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(playbook, "-i", "localhost,", "-e", "@"+varsFile, filepath.Join("testdata", "ansible", book))
	cmd.Env = ansibleEnv(t, creds, py)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible-playbook %s: %v\n%s", book, err, out)
	}
	if strings.Contains(string(out), creds["GOVC_PASSWORD"]) {
		t.Errorf("ansible-playbook %s printed the password", book)
	}
	return out
}

func ansibleEnv(t *testing.T, creds map[string]string, py string) []string {
	t.Helper()
	u, err := url.Parse(creds["GOVC_URL"])
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "ANSIBLE_LOCAL_TEMP=" + filepath.Join(home, "tmp"),
		"ANSIBLE_NOCOLOR=1", "ANSIBLE_PYTHON_INTERPRETER=" + py, "ANSIBLE_INVENTORY_UNPARSED_WARNING=false",
		"VMWARE_HOST=" + u.Hostname(), "VMWARE_PORT=" + u.Port(), "VMWARE_USER=" + creds["GOVC_USERNAME"],
		"VMWARE_PASSWORD=" + creds["GOVC_PASSWORD"], "VMWARE_VALIDATE_CERTS=true", "SSL_CERT_FILE=" + creds["GOVC_TLS_CA_CERTS"]}
}

// preflightFromCredentials runs carpvm preflight -o json on the
// simulator's carpvm.yaml with the login from creds alone, and returns
// each finding's status by "check/network" (network empty for a host's or
// pair's finding, then "check/object").
func preflightFromCredentials(t *testing.T, carpvm string, creds map[string]string) map[string]preflight.Status {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "carpvm.yaml")
	if err := os.WriteFile(cfg, []byte(config.SimulatorYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(carpvm, "preflight", "--config", cfg, "-o", "json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range creds {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("carpvm preflight: %v\n%s", err, stderr.String())
	}
	var doc struct {
		Findings []preflight.Finding `json:"findings"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("carpvm preflight -o json: %v\n%s", err, out)
	}
	got := map[string]preflight.Status{}
	for _, f := range doc.Findings {
		key := string(f.Check) + "/" + f.Network
		if f.Network == "" {
			key = string(f.Check) + "/" + f.Object
		}
		got[key] = f.Status
	}
	return got
}
