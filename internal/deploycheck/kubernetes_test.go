package deploycheck

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kubernetesObject is the start of any Kubernetes manifest.
type kubernetesObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// TestManifestsMatchKubernetesTypes decodes every object of the shipped
// Kubernetes manifests strictly into the API's own Go types, as the API
// server decodes them: a misspelt (in any letter's case) or misplaced
// field, or a value of the wrong type, fails here rather than at kubectl
// apply (there is no cluster to apply them to).
func TestManifestsMatchKubernetesTypes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "deploy", "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests (%v)", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			var head kubernetesObject
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s, object %d: %v", file, i, err)
			}
			var obj any
			switch head.APIVersion + " " + head.Kind {
			case "batch/v1 CronJob":
				obj = &batchv1.CronJob{}
			case "v1 ConfigMap":
				obj = &corev1.ConfigMap{}
			default:
				t.Errorf("%s, object %d: %s %s is not a kind this test knows", file, i, head.APIVersion, head.Kind)
				continue
			}
			// The API server's own decoding: field names are
			// case-sensitive, unknown and duplicate fields are errors.
			raw, err := yaml.YAMLToJSONStrict(doc)
			if err != nil {
				t.Fatalf("%s, object %d: %v", file, i, err)
			}
			strict, err := kjson.UnmarshalStrict(raw, obj)
			if err != nil || len(strict) > 0 {
				t.Errorf("%s, object %d (%s): not a valid %s: %v %v", filepath.Base(file), i, head.Kind, head.Kind, err, strict)
			}
			if cj, ok := obj.(*batchv1.CronJob); ok {
				pod := cj.Spec.JobTemplate.Spec.Template.Spec
				if len(pod.Containers) == 0 || pod.RestartPolicy != corev1.RestartPolicyNever {
					t.Errorf("%s: %d containers, restartPolicy %q; want a container that is never restarted (a failed drill is a result)", file, len(pod.Containers), pod.RestartPolicy)
				}
				mounts := map[string]bool{}
				for _, v := range pod.Volumes {
					mounts[v.Name] = true
				}
				for _, c := range pod.Containers {
					checkImageFits(t, filepath.Base(file), c)
					for _, m := range c.VolumeMounts {
						if !mounts[m.Name] {
							t.Errorf("%s: container %s mounts volume %q, which the pod does not define", file, c.Name, m.Name)
						}
					}
				}
			}
		}
	}
}

// checkImageFits: a container that opens raw sockets (carpvm node, a drill
// with its witness) runs the carpvm-net image with NET_RAW and NET_ADMIN
// granted and privilege escalation allowed, which its binary's file
// capabilities need to start at all; any other carpvm runs the default
// image, which needs neither.
func checkImageFits(t *testing.T, file string, c corev1.Container) {
	t.Helper()
	if len(c.Args) == 0 {
		return
	}
	raw := c.Args[0] == "node" || c.Args[0] == "drill" && !slices.Contains(c.Args, "--sim")
	repo, _, _ := strings.Cut(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")
	want := map[bool]string{true: "carpvm-net", false: "carpvm"}[raw]
	if repo != want {
		t.Errorf("%s: container %s runs carpvm %s in image %s, want the %s image (Dockerfile)", file, c.Name, c.Args[0], c.Image, want)
	}
	if !raw {
		return
	}
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Add, "NET_RAW") || !slices.Contains(sc.Capabilities.Add, "NET_ADMIN") {
		t.Errorf("%s: container %s (carpvm-net) lacks capabilities.add [NET_RAW, NET_ADMIN]: its binary does not start without them", file, c.Name)
	}
	if sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		t.Errorf("%s: container %s forbids privilege escalation: carpvm-net's file capabilities would not take effect", file, c.Name)
	}
}
