package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/internal/statepaths"
)

// TestGenManPages: gen-man writes section 1 pages under DIR/man1 (where
// man looks with MANPATH=DIR), each with EXIT STATUS and ENVIRONMENT.
func TestGenManPages(t *testing.T) {
	dir := t.TempDir()
	got := runCLI(t, nil, "gen-man", "--dir", dir)
	if got.code != exitOK {
		t.Fatalf("gen-man: exit %d\n%s", got.code, got.stderr)
	}
	if loose, _ := filepath.Glob(filepath.Join(dir, "*.1")); len(loose) > 0 {
		t.Errorf("pages outside man1: %q", loose)
	}
	for _, page := range []string{"carpvm.1", "carpvm-preflight.1", "carpvm-drill.1", "carpvm-node-run.1"} {
		b, err := os.ReadFile(filepath.Join(dir, "man1", page))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, want := range []string{
			".SH EXIT STATUS", ".SH ENVIRONMENT",
			"a check failed", "usage or configuration error", "vSphere unreachable or refused", "any other error",
			"CARPVM_CONFIG", "CARPVM_VSPHERE_PASSWORD", "GOVC_URL", "XDG_STATE_HOME", statepaths.LockDirEnv, node.PassEnv,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", page, want)
			}
		}
		if strings.Index(text, ".SH EXIT STATUS") < strings.Index(text, ".SH OPTIONS") {
			t.Errorf("%s: EXIT STATUS comes before OPTIONS", page)
		}
	}
}
