package main

import (
	"os"
	"testing"

	"github.com/carpvm/carpvm/internal/testbin"
)

// The docs' root examples and the lab CLI tests run the real carpvm binary,
// built once for the package's tests (or named by CARPVM_TEST_BIN).
func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
