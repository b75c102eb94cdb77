package deploycheck

import (
	"bytes"
	"os"
	"path/filepath"
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
