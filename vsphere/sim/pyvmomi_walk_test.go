package sim_test

import (
	"cmp"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/vsphere/sim"
)

// TestPyvmomiReadsEveryProperty: pyvmomi (Debian's python3-pyvmomi 6.7,
// speaking the API the simulator advertises: 6.5, 6.7 where a topology has
// a distributed switch) reads every property of
// every VM, host, network, distributed portgroup, datastore and cluster of
// each topology `carpvm sim` serves, and parses all of them: vcsim's
// newer properties (HostCapability.maxSupportedVmMemory) and its empty
// enums (VirtualMachineRuntimeInfo.faultToleranceState) failed it before
// the simulator answered per API version.
func TestPyvmomiReadsEveryProperty(t *testing.T) {
	py := pythonWithPyvmomi(t)
	topologies := sim.Topologies()
	for _, name := range slices.Sorted(maps.Keys(topologies)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			topo := topologies[name]()
			api := cmp.Or(topo.API, "6.5") // vcsim's own
			srv, err := sim.Start(context.Background(), topo, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			cmd := exec.Command(py, filepath.Join("testdata", "pyvmomi_walk.py"))
			cmd.Env = append(os.Environ(), pyvmomiEnv(t, srv)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("pyvmomi_walk.py: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "API "+api+"\n") || !strings.Contains(string(out), "VirtualMachine ") ||
				!strings.Contains(string(out), "HostSystem ") {
				t.Errorf("walk read no VMs or hosts, or not at API %s:\n%s", api, out)
			}
			t.Logf("%s", out)
		})
	}
}
