package sim_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// pythonWithPyvmomi returns a python3 that can import pyVmomi: Debian's
// own, which python3-pyvmomi installs for (a pyenv or venv python3 on PATH
// does not see it), else the one on PATH.
func pythonWithPyvmomi(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import pyVim.connect, pyVmomi").Run() == nil {
			return path
		}
	}
	t.Skip("no python3 that imports pyVmomi: install Debian's python3-pyvmomi (scripts/install-test-deps does, as root)")
	return ""
}

// runPyvmomi runs testdata/pyvmomi_security.py against srv, the connection
// in the environment only, and returns its output.
func runPyvmomi(t *testing.T, py string, srv *sim.Server, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", "pyvmomi_security.py")}, args...)...)
	cmd.Env = append(os.Environ(), pyvmomiEnv(t, srv)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// pyvmomiEnv is the connection to srv as the scripts (and Ansible's vmware
// modules) take it: in the environment only.
func pyvmomiEnv(t *testing.T, srv *sim.Server) []string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"VMWARE_HOST=" + u.Hostname(), "VMWARE_PORT=" + u.Port(),
		"VMWARE_USER=" + srv.Username, "VMWARE_PASSWORD=" + srv.Password.Reveal(),
		"VMWARE_THUMBPRINT=" + srv.Thumbprint}
}

// promiscuousOn runs the checks of carpvm preflight --config against srv
// (the sim's carpvm.yaml, pointed at srv) and returns the status of
// security.promiscuous for network.
func promiscuousOn(t *testing.T, srv *sim.Server, network string) preflight.Status {
	t.Helper()
	ctx := context.Background()
	cfg := config.Simulator()
	cfg.VSphere = srv.VSphereConfig()
	s, err := vsphere.Open(ctx, cfg.VSphere)
	if err != nil {
		t.Fatalf("vsphere.Open: %v", err)
	}
	defer s.Close(ctx)
	f, err := s.Gather(ctx, cfg)
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	var got []preflight.Finding
	for _, fd := range preflight.Run(cfg, f).Findings {
		if fd.Check == preflight.CheckPromiscuous && fd.Network == network {
			got = append(got, fd)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d %s findings for network %s, want 1: %+v", len(got), preflight.CheckPromiscuous, network, got)
	}
	return got[0].Status
}

// TestPyvmomiChangesSecurityPolicy: pyvmomi (Debian's python3-pyvmomi, as
// Ansible's community.vmware modules use it) logs in to the simulator,
// reads IntraNought's security policy on esxi-01, accepts promiscuous mode
// with HostNetworkSystem.UpdatePortGroup, and carpvm preflight sees the
// change: security.promiscuous for the network turns from fail to pass.
func TestPyvmomiChangesSecurityPolicy(t *testing.T) {
	py := pythonWithPyvmomi(t)
	srv, err := sim.Start(context.Background(), sim.Default(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)

	const network = "intranought" // config.Simulator()'s name for IntraNought
	if got := promiscuousOn(t, srv, network); got != preflight.Fail {
		t.Fatalf("before: %s for %s is %s, want fail (ESXi default Reject)", preflight.CheckPromiscuous, network, got)
	}
	out, err := runPyvmomi(t, py, srv, "esxi-01", sim.PortgroupInternal, "accept")
	if err != nil {
		t.Fatalf("pyvmomi script: %v\n%s", err, out)
	}
	t.Logf("pyvmomi script:\n%s", out)
	if strings.Contains(out, srv.Password.Reveal()) {
		t.Error("the script printed the password")
	}
	if !strings.Contains(out, "before: portgroup IntraNought on vSwitch1: promiscuous inherit (effective Reject)") ||
		!strings.Contains(out, "after: portgroup IntraNought on vSwitch1: promiscuous Accept (effective Accept)") {
		t.Errorf("script output lacks the policy read before and after the change:\n%s", out)
	}
	if got := promiscuousOn(t, srv, network); got != preflight.Pass {
		t.Errorf("after pyvmomi accepted promiscuous mode: %s for %s is %s, want pass", preflight.CheckPromiscuous, network, got)
	}
}

// TestPyvmomiScriptErrors: the script names what is wrong and changes
// nothing when the portgroup does not exist or the environment lacks the
// connection.
func TestPyvmomiScriptErrors(t *testing.T) {
	py := pythonWithPyvmomi(t)
	srv, err := sim.Start(context.Background(), sim.Default(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)

	out, err := runPyvmomi(t, py, srv, "esxi-01", "Nowhere", "accept")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out, `no portgroup named 'Nowhere'`) {
		t.Errorf("unknown portgroup: %v, want exit 1 naming it:\n%s", err, out)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "pyvmomi_security.py"), "esxi-01", sim.PortgroupInternal, "accept")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(b), "VMWARE_PASSWORD") {
		t.Errorf("no environment: %v, want exit 2 naming the variables:\n%s", err, b)
	}
	if got := promiscuousOn(t, srv, "intranought"); got != preflight.Fail {
		t.Errorf("a failed run changed IntraNought: %s is %s, want fail", preflight.CheckPromiscuous, got)
	}
}
