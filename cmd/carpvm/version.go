package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set at build time (make build):
// -ldflags "-X main.version=v0.1.0 -X main.commit=abc123". Without them
// the Go toolchain's build information fills in (see resolveBuild).
var (
	version = "dev"
	commit  = ""
)

// buildInfo is what carpvm says about its own build, in carpvm version,
// carpvm --version, the man pages and the carpvm_build_info metric.
type buildInfo struct {
	Version   string // v0.1.0, a Go pseudo-version, or "dev"
	Commit    string // the VCS revision, "unknown" when not recorded
	GoVersion string // the Go release that built the binary
}

// String is the line carpvm version and carpvm --version print.
func (b buildInfo) String() string {
	return fmt.Sprintf("carpvm %s (commit %s, %s)", b.Version, b.Commit, b.GoVersion)
}

// currentBuild describes this binary.
func currentBuild() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return resolveBuild(version, commit, bi)
}

// resolveBuild prefers what -ldflags set; else the module version the
// toolchain recorded (go install github.com/carpvm/carpvm/cmd/carpvm@v0.1.0
// records v0.1.0; a plain go build records "(devel)", which says nothing)
// and the VCS revision of the checkout it was built in. bi may be nil.
func resolveBuild(ldVersion, ldCommit string, bi *debug.BuildInfo) buildInfo {
	b := buildInfo{Version: ldVersion, Commit: ldCommit, GoVersion: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			b.GoVersion = bi.GoVersion
		}
		if (b.Version == "" || b.Version == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		if b.Commit == "" {
			var modified bool
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					b.Commit = s.Value
				case "vcs.modified":
					modified = s.Value == "true"
				}
			}
			if b.Commit != "" && modified {
				b.Commit += "+dirty"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// versionDocument is the -o json output of carpvm version.
type versionDocument struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
}

// versionOptions are the flags of carpvm version.
type versionOptions struct {
	Output string
}

// newVersionCmd is carpvm version; runF (nil: versionRun) gets its options.
func newVersionCmd(app *App, runF func(context.Context, *versionOptions) error) *cobra.Command {
	o := &versionOptions{}
	if runF == nil {
		runF = func(_ context.Context, o *versionOptions) error { return versionRun(app.IO.Out, o.Output) }
	}
	cmd := &cobra.Command{
		Use: "version [-o json]",
		Example: `  carpvm version
  carpvm --version`,
		Short: "Print carpvm's version, commit and Go release",
		Long: `carpvm version prints carpvm's version, commit and Go release on one line; with
-o json, one carpvm.version/v1 document: version, commit, go.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), o)
		},
	}
	outputFlag(cmd, &o.Output)
	return cmd
}

// versionRun prints this binary's build as output says.
func versionRun(w io.Writer, output string) error {
	if err := checkOutput("version", output); err != nil {
		return err
	}
	b := currentBuild()
	if output == "json" {
		return writeDocument(w, "version", versionDocument{Version: b.Version, Commit: b.Commit, Go: b.GoVersion})
	}
	_, err := fmt.Fprintln(w, b)
	return err
}
