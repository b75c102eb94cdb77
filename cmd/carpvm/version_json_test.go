package main

import (
	"encoding/json"
	"testing"
)

// TestVersionJSON: version -o json is one carpvm.version/v1 document with
// the fields of the line version prints; a bad -o is a usage error.
func TestVersionJSON(t *testing.T) {
	got := runCLI(t, nil, "version", "-o", "json")
	var doc struct {
		Format, Version, Commit, Go string
	}
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil || got.code != exitOK {
		t.Fatalf("exit %d, %v:\n%s%s", got.code, err, got.stdout, got.stderr)
	}
	b := currentBuild()
	if doc.Format != "carpvm.version/v1" || doc.Version != b.Version || doc.Commit != b.Commit || doc.Go != b.GoVersion {
		t.Errorf("document %+v, want the build %+v", doc, b)
	}
	if got := runCLI(t, nil, "version", "-o", "yaml"); got.code != exitUsage {
		t.Errorf("-o yaml: exit %d, want %d", got.code, exitUsage)
	}
}
