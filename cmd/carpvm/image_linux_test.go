package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/internal/testbin"
)

// dockerDefaultCaps is the bounding set Docker gives a container by
// default (moby's oci/caps defaults): NET_RAW is in it, NET_ADMIN is not.
var dockerDefaultCaps = []string{"chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid",
	"setfcap", "setpcap", "net_bind_service", "sys_chroot", "kill", "audit_write"}

// dockerStage is one FROM of the Dockerfile: its name and the file it
// copies from the build stage to /usr/local/bin/carpvm.
type dockerStage struct {
	name, binary string
}

// readDockerfile returns the Dockerfile's stages and the files its RUN
// lines give file capabilities with setcap.
func readDockerfile(t *testing.T) (stages []dockerStage, capped map[string]bool) {
	t.Helper()
	capped = map[string]bool{}
	for _, in := range parseDockerfile(t, filepath.Join("..", "..", "Dockerfile")) {
		fields := strings.Fields(in.args)
		switch {
		case in.op == "FROM" && len(fields) == 3 && strings.EqualFold(fields[1], "AS"):
			stages = append(stages, dockerStage{name: fields[2]})
		case in.op == "COPY" && len(fields) == 3 && fields[0] == "--from=build" && fields[2] == "/usr/local/bin/carpvm" && len(stages) > 0:
			stages[len(stages)-1].binary = strings.TrimPrefix(fields[1], "/src/")
		case in.op == "RUN":
			for _, cmd := range strings.Split(in.args, "&&") {
				if f := strings.Fields(cmd); len(f) >= 3 && f[0] == "setcap" {
					capped[f[2]] = true
				}
			}
		}
	}
	return stages, capped
}

// TestImageRunsUnderDockerDefaultCapabilities: the image a plain
// `docker build` makes (the Dockerfile's last stage) ships a carpvm without
// file capabilities, and the net stage (carpvm-net, for the node and the
// witness) one with cap_net_raw,cap_net_admin+ep. There is no Docker
// engine here, so the test then runs a carpvm binary prepared as each
// stage prepares it, as uid 65532 (the images' nonroot user), under the
// bounding sets a container gets (setpriv): Docker's default, none at
// all, and Docker's default plus NET_ADMIN. What it proves is the kernel's
// exec rule the images meet there: a binary whose file capabilities are
// not all in the bounding set does not start (the former single image
// failed so under Docker's defaults), and the default image's starts and
// runs preflight under any of them. It does not build the image or look
// inside distroless.
func TestImageRunsUnderDockerDefaultCapabilities(t *testing.T) {
	stages, capped := readDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile stages %+v, want a build stage and at least a default stage", stages)
	}
	def := stages[len(stages)-1]
	var net dockerStage
	for _, s := range stages {
		if s.name == "net" {
			net = s
		}
	}
	if def.binary == "" || capped[def.binary] {
		t.Errorf("the default (last) stage %q copies %q, which setcap gives file capabilities (capped: %v); want a binary without", def.name, def.binary, capped)
	}
	if net.binary == "" || !capped[net.binary] {
		t.Errorf("the net stage copies %q, want the binary setcap gives cap_net_raw,cap_net_admin (capped: %v)", net.binary, capped)
	}

	if os.Geteuid() != 0 {
		t.Skip("setting file capabilities and dropping to uid 65532 needs root")
	}
	for _, tool := range []string{"setpriv", "setcap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (util-linux, libcap2-bin)", tool)
		}
	}
	dir := t.TempDir()
	// uid 65532 must reach the binaries: the temporary directories are 0700.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile(testbin.Carpvm(t))
	if err != nil {
		t.Fatal(err)
	}
	plain, capable := filepath.Join(dir, "carpvm"), filepath.Join(dir, "carpvm-net")
	for _, p := range []string{plain, capable} {
		if err := os.WriteFile(p, src, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("setcap", "cap_net_raw,cap_net_admin+ep", capable).CombinedOutput(); err != nil {
		t.Skipf("setcap on %s: %v %s (a file system without extended attributes?)", dir, err, out)
	}

	run := func(bounding []string, bin string, args ...string) (string, error) {
		set := "-all"
		for _, c := range bounding {
			set += ",+" + c
		}
		cmd := exec.Command("setpriv", append([]string{"--reuid=65532", "--regid=65532", "--clear-groups",
			"--inh-caps=-all", "--bounding-set=" + set, "--", bin}, args...)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	withNetAdmin := append(append([]string{}, dockerDefaultCaps...), "net_admin")
	for _, tt := range []struct {
		name     string
		bounding []string
	}{{"docker-default", dockerDefaultCaps}, {"cap-drop-all", nil}, {"docker-default+net_admin", withNetAdmin}} {
		out, err := run(tt.bounding, plain, "version")
		if err != nil || !strings.Contains(out, "carpvm") {
			t.Errorf("%s: the default image's carpvm version: %v\n%s", tt.name, err, out)
		}
		out, err = run(tt.bounding, plain, "preflight", "--sim", "--check", "vm.found")
		var ee *exec.ExitError
		if err != nil && (!errors.As(err, &ee) || ee.ExitCode() != 1) || !strings.Contains(out, "vm.found") {
			t.Errorf("%s: the default image's carpvm preflight --sim: %v, want exit 0 or 1 (checks ran)\n%s", tt.name, err, out)
		}
	}
	if out, err := run(dockerDefaultCaps, capable, "version"); err == nil {
		t.Errorf("carpvm-net started under Docker's default capabilities (no NET_ADMIN), want exec refused:\n%s", out)
	} else if !strings.Contains(strings.ToLower(out), "operation not permitted") {
		t.Errorf("carpvm-net under Docker's defaults: %v, want exec refused with EPERM:\n%s", err, out)
	}
	if out, err := run(withNetAdmin, capable, "version"); err != nil {
		t.Errorf("carpvm-net with NET_RAW and NET_ADMIN granted: %v\n%s", err, out)
	}
}
