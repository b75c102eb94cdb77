package main

import (
	"go/build"
	"strings"
	"testing"
)

// TestCommandsReachVSphereThroughWorkflow keeps the seam of
// docs/architecture.md ("Layers"): the commands import neither vsphere nor
// its simulator (vsphere/sim and below), on any platform carpvm builds
// for; workflow is their only way there. vsphere/facts and vsphere/change
// are plain data and may be named.
func TestCommandsReachVSphereThroughWorkflow(t *testing.T) {
	const module = "github.com/carpvm/carpvm/"
	for _, goos := range []string{"linux", "darwin", "windows"} {
		ctx := build.Default
		ctx.GOOS = goos
		pkg, err := ctx.ImportDir(".", 0)
		if err != nil {
			t.Fatalf("%s: %v", goos, err)
		}
		if len(pkg.Imports) == 0 {
			t.Fatalf("%s: no imports read from %s", goos, pkg.Dir)
		}
		for _, imp := range pkg.Imports {
			rel, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			if rel == "vsphere" || rel == "vsphere/sim" || strings.HasPrefix(rel, "vsphere/sim/") {
				t.Errorf("%s: cmd/carpvm imports %s; reach it through workflow", goos, imp)
			}
		}
	}
}
