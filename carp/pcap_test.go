package carp

import (
	"os"
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
