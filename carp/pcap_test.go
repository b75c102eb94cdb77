package carp

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/internal/capture"
)

// vectorPath is the capture of two real ucarp 1.5.2 nodes (testdata/README.md).
const vectorPath = "testdata/ucarp-vhid1-pair.pcap"

// readCapture reads a capture file, skipping the test when it is absent.
func readCapture(t testing.TB, path string) []capture.Packet {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("test vector not available: %v", err)
	}
	pkts, err := capture.Parse(b)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return pkts
}

// tsharkFields writes pkts to a capture file and has tshark, which nobody
// here wrote, read it with args (-T fields ...); it returns tshark's
// output lines. The test skips when tshark is not installed.
func tsharkFields(t *testing.T, pkts []capture.Packet, args ...string) []string {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test-deps installs it)")
	}
	path := filepath.Join(t.TempDir(), "ours.pcap")
	if err := os.WriteFile(path, capture.AppendPcap(nil, pkts), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, append([]string{"-r", path}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(l, "Running as user") {
			lines = append(lines, l)
		}
	}
	return lines
}
