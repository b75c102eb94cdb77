package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionFlag: carpvm --version prints what carpvm version prints.
func TestVersionFlag(t *testing.T) {
	cmd := runCLI(t, nil, "version")
	flag := runCLI(t, nil, "--version")
	if cmd.code != exitOK || flag.code != exitOK {
		t.Fatalf("exit %d (version), %d (--version); stderr %q %q", cmd.code, flag.code, cmd.stderr, flag.stderr)
	}
	if !strings.HasPrefix(flag.stdout, "carpvm ") || flag.stdout != cmd.stdout {
		t.Errorf("--version printed %q, version printed %q; want the same carpvm line", flag.stdout, cmd.stdout)
	}
}

// TestResolveBuild: -ldflags win; without them, go install's module
// version and the checkout's revision are used.
func TestResolveBuild(t *testing.T) {
	installed := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/carpvm/carpvm", Version: "v0.1.0"}}
	checkout := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/carpvm/carpvm", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}}
	tests := []struct {
		name              string
		ldVersion, commit string
		bi                *debug.BuildInfo
		want              buildInfo
	}{
		{"make build (-ldflags)", "v0.2.0", "fedc", installed, buildInfo{"v0.2.0", "fedc", "go1.26.0"}},
		{"go install @v0.1.0", "dev", "", installed, buildInfo{"v0.1.0", "unknown", "go1.26.0"}},
		{"go build in a modified checkout", "dev", "", checkout, buildInfo{"dev", "0123abcd+dirty", "go1.26.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveBuild(tt.ldVersion, tt.commit, tt.bi); got != tt.want {
				t.Errorf("resolveBuild = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := resolveBuild("dev", "", nil); got.Version != "dev" || got.Commit != "unknown" || got.GoVersion == "" {
		t.Errorf("without build information: %+v", got)
	}
}
