package vsphere_test

import (
	"os"
	"testing"

	"github.com/carpvm/carpvm/internal/testbin"
)

// The govc interop tests run govmomi's govc, built once for the package's
// tests (or named by GOVC_TEST_BIN).
func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
