package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover/history"
	"github.com/carpvm/carpvm/workflow"
)

// dockerInstruction is one instruction of a Dockerfile, continuation lines
// joined.
type dockerInstruction struct{ op, args string }

func parseDockerfile(t *testing.T, path string) []dockerInstruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	var cur string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cur += " " + strings.TrimSuffix(line, "\\")
		if strings.HasSuffix(line, "\\") {
			continue
		}
		op, args, _ := strings.Cut(strings.TrimSpace(cur), " ")
		out = append(out, dockerInstruction{strings.ToUpper(op), strings.TrimSpace(args)})
		cur = ""
	}
	return out
}

// TestDockerfile checks the image the CronJob runs, as far as a machine
// without an image registry can (the image itself is not built here): a
// build stage running the Makefile's build (so the same -ldflags), a
// distroless or Debian slim runtime stage holding the binary the Makefile
// writes, a non-root user, and carpvm as the entrypoint.
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, filepath.Join("..", "..", "Dockerfile"))
	var froms []string
	var user, entrypoint string
	var builds, copies []string
	for _, in := range ins {
		switch in.op {
		case "FROM":
			froms = append(froms, in.args)
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "RUN":
			if strings.Contains(in.args, "make build") || strings.Contains(in.args, "go build") {
				builds = append(builds, in.args)
			}
		case "COPY":
			if strings.HasPrefix(in.args, "--from=") {
				copies = append(copies, in.args)
			}
		}
	}
	if len(froms) < 2 || !strings.HasSuffix(froms[0], " AS build") {
		t.Fatalf("stages %q: want a build stage named build, then the runtime", froms)
	}
	if rt := froms[len(froms)-1]; !strings.HasPrefix(rt, "gcr.io/distroless/") && !strings.Contains(rt, "debian") || strings.Contains(rt, "golang") {
		t.Errorf("runtime stage %q: want distroless or debian-slim", rt)
	}
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	ldflags := regexp.MustCompile(`(?m)^LDFLAGS\s*:=\s*(.+)$`).FindSubmatch(makefile)
	release := regexp.MustCompile(`(?m)^RELEASEFLAGS\s*:=\s*(.+)$`).FindSubmatch(makefile)
	if ldflags == nil || release == nil || !strings.Contains(string(makefile), `build $(RELEASEFLAGS) -o $(BIN) ./cmd/carpvm`) {
		t.Fatal("the Makefile's build target, LDFLAGS or RELEASEFLAGS moved: update this test and the Dockerfile")
	}
	// A release binary holds no local paths and no symbol tables.
	if want := `-trimpath -ldflags "-s -w $(LDFLAGS)"`; string(release[1]) != want {
		t.Errorf("the Makefile's RELEASEFLAGS are %s, want %s", release[1], want)
	}
	if len(builds) != 1 {
		t.Fatalf("builds %q: want one", builds)
	}
	b := builds[0]
	switch {
	case strings.Contains(b, "make build"):
		// The Makefile's own ldflags; the image must pass VERSION and
		// COMMIT, which it cannot compute without .git.
		for _, v := range []string{`VERSION="$VERSION"`, `COMMIT="$COMMIT"`} {
			if !strings.Contains(b, v) {
				t.Errorf("build %q does not pass %s", b, v)
			}
		}
	case !strings.Contains(b, string(ldflags[1])) || !strings.Contains(b, "-trimpath") || !strings.Contains(b, "-s -w"):
		t.Errorf("build %q: want the Makefile's release flags %s with LDFLAGS %s", b, release[1], ldflags[1])
	}
	if !strings.Contains(b, "CGO_ENABLED=0") {
		t.Errorf("build %q: a distroless static image needs CGO_ENABLED=0", b)
	}
	bin := regexp.MustCompile(`(?m)^BIN\s*:=\s*(\S+)`).FindSubmatch(makefile)
	// The default (last) stage ships the Makefile's binary; the net stage a
	// copy of it given file capabilities (TestImageRunsUnderDockerDefaultCapabilities).
	if len(copies) == 0 || !strings.Contains(copies[len(copies)-1], "/"+string(bin[1])+" ") {
		t.Errorf("copies %q: want the last stage to copy the Makefile's %s from the build stage", copies, bin[1])
	}
	if user == "" || slices.Contains([]string{"root", "0", "root:root", "0:0"}, user) {
		t.Errorf("USER %q: want a non-root user", user)
	}
	if !regexp.MustCompile(`^\["[^"]*/carpvm"`).MatchString(entrypoint) {
		t.Errorf("ENTRYPOINT %s: want carpvm", entrypoint)
	}
}

// TestCronJobMetricsWhereNodeExporterReads: the shipped CronJob drills one
// pair (named by its carpvm.io/pair label, which its name ends with), runs
// the image as the Dockerfile's non-root user, keeps the pair's history in
// its own directory of the history volume, and writes the pair's own
// metrics file (so that the CronJobs of several pairs do not overwrite
// each other's) into node_exporter's textfile directory
// (history.TextfileDir), mounted from the node the job is pinned to.
func TestCronJobMetricsWhereNodeExporterReads(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy", "kubernetes", "cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cj struct {
		Metadata struct {
			Name   string
			Labels map[string]string
		}
		Spec struct {
			JobTemplate struct {
				Spec struct {
					Template struct {
						Spec struct {
							NodeSelector    map[string]string `yaml:"nodeSelector"`
							SecurityContext struct {
								RunAsNonRoot bool `yaml:"runAsNonRoot"`
								RunAsUser    int  `yaml:"runAsUser"`
							} `yaml:"securityContext"`
							Containers []struct {
								Args         []string
								VolumeMounts []struct {
									Name      string
									MountPath string `yaml:"mountPath"`
									SubPath   string `yaml:"subPath"`
								} `yaml:"volumeMounts"`
							}
							Volumes []struct {
								Name     string
								HostPath struct{ Path string } `yaml:"hostPath"`
							}
						}
					}
				} `yaml:"spec"`
			} `yaml:"jobTemplate"`
		}
	}
	if err := yaml.Unmarshal(b, &cj); err != nil {
		t.Fatal(err)
	}
	pair := cj.Metadata.Labels["carpvm.io/pair"]
	if pair == "" || !strings.HasSuffix(cj.Metadata.Name, "-"+pair) {
		t.Fatalf("CronJob %q labels %v: want a carpvm.io/pair label that the name ends with", cj.Metadata.Name, cj.Metadata.Labels)
	}
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	if !pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.RunAsUser != 65532 {
		t.Errorf("pod security context %+v: want the image's nonroot user 65532", pod.SecurityContext)
	}
	if len(pod.NodeSelector) == 0 {
		t.Error("no nodeSelector: a job that moves between nodes leaves a stale metrics file behind on each")
	}
	c := pod.Containers[0]
	wantMetrics := history.TextfileDir + "/carpvm_drill_" + pair + ".prom"
	if !slices.Contains(c.Args, "--metrics-file="+wantMetrics) {
		t.Errorf("args %q: want --metrics-file=%s", c.Args, wantMetrics)
	}
	var mounted, subPath string
	for _, m := range c.VolumeMounts {
		if m.MountPath == history.TextfileDir {
			mounted = m.Name
		}
		if slices.Contains(c.Args, "--history="+m.MountPath) {
			subPath = m.SubPath
		}
	}
	if subPath != pair {
		t.Errorf("the --history directory is the volume's subPath %q: want the pair's own, %q", subPath, pair)
	}
	found := false
	for _, v := range pod.Volumes {
		found = found || v.Name == mounted && v.HostPath.Path == history.TextfileDir
	}
	if mounted == "" || !found {
		t.Errorf("%s is not mounted from the node's %s", history.TextfileDir, history.TextfileDir)
	}

	// The job's own arguments, with a pair's carpvm.yaml and the test's
	// directories for its mounts, are a drill carpvm accepts.
	cfg := filepath.Join(t.TempDir(), "carpvm.yaml")
	if err := os.WriteFile(cfg, []byte(drillYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := runCLI(t, nil, cronJobArgs(t, c.Args, cfg)...); got.code != exitOK || !strings.Contains(got.stdout, `"dry_run": true`) {
		t.Errorf("carpvm %q: exit %d, want a dry run's plan\n%s%s", c.Args, got.code, got.stdout, got.stderr)
	}
}

// cronJobArgs are a CronJob's container arguments as a test runs them:
// --config is config, every other path a file in a directory of the
// test's, and --dry-run last, so that nothing is touched.
func cronJobArgs(t *testing.T, jobArgs []string, config string) []string {
	var args []string
	for _, a := range jobArgs {
		if flag, path, ok := strings.Cut(a, "="); ok && strings.HasPrefix(path, "/") {
			a = flag + "=" + filepath.Join(t.TempDir(), filepath.Base(path))
			if flag == "--config" {
				a = flag + "=" + config
			}
		}
		args = append(args, a)
	}
	return append(args, "--dry-run")
}

// TestFleetCronJobDrillsEveryPair: the fleet's CronJob mounts its
// ConfigMap as a directory as the kubelet does (each key a symlink through
// ..data), and carpvm loads it as a fleet; the job drills every pair (no
// --pair), names a witness interface for each pair, one per Multus
// attachment, reads each pair's password from the mounted Secret, keeps
// one history and writes one metrics file where node_exporter reads.
func TestFleetCronJobDrillsEveryPair(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "docs", "deploy", "kubernetes", "cronjob-fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type mount struct {
		Name      string
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	}
	var configMap struct {
		Metadata struct{ Name string }
		Data     map[string]string
	}
	var pod struct {
		Metadata struct{ Annotations map[string]string }
		Spec     struct {
			Containers []struct {
				Args         []string
				VolumeMounts []mount `yaml:"volumeMounts"`
			}
			Volumes []struct {
				Name      string
				ConfigMap struct{ Name string } `yaml:"configMap"`
				Secret    struct {
					Items []struct{ Key, Path string }
				}
				HostPath struct{ Path string } `yaml:"hostPath"`
			}
		}
	}
	dec := yaml.NewDecoder(f)
	for {
		var doc struct {
			Kind string
			yaml.Node
		}
		var node yaml.Node
		if err := dec.Decode(&node); err != nil {
			break
		}
		if err := node.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		switch doc.Kind {
		case "ConfigMap":
			err = node.Decode(&configMap)
		case "CronJob":
			var cj struct {
				Spec struct {
					JobTemplate struct {
						Spec struct {
							Template yaml.Node
						}
					} `yaml:"jobTemplate"`
				}
			}
			if err = node.Decode(&cj); err == nil {
				err = cj.Spec.JobTemplate.Spec.Template.Decode(&pod)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(configMap.Data) < 2 || len(pod.Spec.Containers) != 1 {
		t.Fatalf("want a ConfigMap of several pairs and a CronJob with one container; got %d files, %d containers", len(configMap.Data), len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	mountOf := func(volume string) string {
		for _, m := range c.VolumeMounts {
			if m.Name == volume {
				return m.MountPath
			}
		}
		return ""
	}

	// The ConfigMap as the kubelet lays it out, the password files moved
	// from the Secret's mount into the test's directory.
	secretDir := t.TempDir()
	var secretMount string
	for _, v := range pod.Spec.Volumes {
		if len(v.Secret.Items) > 0 {
			secretMount = mountOf(v.Name)
			for _, it := range v.Secret.Items {
				if err := os.WriteFile(filepath.Join(secretDir, it.Path), []byte("pw-"+it.Key), 0o400); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	dir := t.TempDir()
	stamp := filepath.Join(dir, "..2026_12_06_05_30_00.000000001")
	if err := os.Mkdir(stamp, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range configMap.Data {
		body = strings.ReplaceAll(body, secretMount+"/", secretDir+"/")
		if err := os.WriteFile(filepath.Join(stamp, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(stamp), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	pairs, err := config.LoadPath(dir, func(string) string { return "" })
	if err != nil {
		t.Fatalf("the ConfigMap, mounted, is not a fleet carpvm loads: %v", err)
	}
	if len(pairs) != len(configMap.Data) {
		t.Fatalf("%d pairs loaded from %d files", len(pairs), len(configMap.Data))
	}
	for _, p := range pairs {
		if got := p.VSphere.Password.Reveal(); got != "pw-"+p.Pair.Name {
			t.Errorf("pair %s logs in with the Secret's key %q; want its own key %q", p.Pair.Name, strings.TrimPrefix(got, "pw-"), p.Pair.Name)
		}
	}

	var cmVolume string
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap.Name == configMap.Metadata.Name {
			cmVolume = v.Name
		}
	}
	if c.Args[0] != "drill" || !slices.Contains(c.Args, "--config="+mountOf(cmVolume)) {
		t.Errorf("args %q: want drill --config=%s (the ConfigMap's directory)", c.Args, mountOf(cmVolume))
	}
	attachments := strings.Split(pod.Metadata.Annotations["k8s.v1.cni.cncf.io/networks"], ",")
	var ifaces []string
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--pair") {
			t.Errorf("args %q: the fleet's job drills every pair, without --pair", c.Args)
		}
		if v, ok := strings.CutPrefix(a, "--interface="); ok {
			ifaces = append(ifaces, strings.Split(v, ",")...)
		}
	}
	names := make([]string, len(pairs))
	for i, p := range pairs {
		names[i] = p.Pair.Name
	}
	byPair, err := workflow.WitnessInterfaces(ifaces, names)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range names {
		// Multus names the pod's attachments net1, net2, ... in the
		// annotation's order.
		if byPair[p] == "" || !strings.HasPrefix(byPair[p], "net") || len(attachments) != len(pairs) {
			t.Errorf("pair %s: interface %q, %d attachments; want one Multus attachment (netN) per pair", p, byPair[p], len(attachments))
		}
	}
	historyVolume := ""
	for _, m := range c.VolumeMounts {
		if slices.Contains(c.Args, "--history="+m.MountPath) {
			historyVolume = m.Name
			if m.SubPath != "" {
				t.Errorf("history mounted with subPath %q: the fleet's runs share one directory", m.SubPath)
			}
		}
	}
	if historyVolume == "" {
		t.Error("the --history directory is not a mounted volume")
	}
	if !slices.Contains(c.Args, "--metrics-file="+history.TextfileDir+"/carpvm_drill.prom") || mountOf("textfile") != history.TextfileDir {
		t.Errorf("args %q: want one metrics file in %s, mounted from the node", c.Args, history.TextfileDir)
	}

	// The job's own arguments, its mounts pointed at the test's
	// directories, are a drill carpvm accepts: a dry run plans every pair.
	args := cronJobArgs(t, c.Args, dir)
	got := runCLI(t, nil, args...)
	if got.code != exitOK {
		t.Fatalf("carpvm %q: exit %d\n%s%s", args, got.code, got.stdout, got.stderr)
	}
	var fleet struct{ Pairs []struct{ Pair string } }
	if err := json.Unmarshal([]byte(got.stdout), &fleet); err != nil || len(fleet.Pairs) != len(pairs) {
		t.Errorf("carpvm %q: want a plan per pair, got %v:\n%s", args, err, got.stdout)
	}
}
