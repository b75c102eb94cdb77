package main

import (
	"encoding/json"
	"testing"
)

// TestPreflightJSONNamesThePair: a single pair's preflight -o json names
// the pair, as each object of a fleet's list does.
func TestPreflightJSONNamesThePair(t *testing.T) {
	got := runCLI(t, nil, "preflight", "--sim", "-o", "json")
	var doc struct {
		Format string `json:"format"`
		Pair   string `json:"pair"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
		t.Fatalf("exit %d: %v\n%s%s", got.code, err, got.stdout, got.stderr)
	}
	if doc.Pair != "routers" || doc.Format != "carpvm.preflight/v1" {
		t.Errorf("document %+v, want pair routers (the simulator's carpvm.yaml)", doc)
	}
}
