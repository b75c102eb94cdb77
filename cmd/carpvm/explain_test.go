package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A malformed line is named by file and line on stderr, exits 2, and the
// rest of the file is still read and explained.
func TestExplainMalformedFile(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "transitions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "night.jsonl")
	bad := strings.Replace(string(good), `"vhid":1,"from":"BACKUP","to":"MASTER","reason":"master down","demotion":0}`,
		`"vhid":1,"from":"BACKUP","to":"MASTR","reason":"master down","demotion":0}`, 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"explain", "--sim", "--transitions", path, "-o", "json"},
		IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, errOut.String())
	}
	if want := path + `:3: "to": "MASTR"; want one of INIT, BACKUP, MASTER`; !strings.Contains(errOut.String(), want) {
		t.Fatalf("stderr lacks %q:\n%s", want, errOut.String())
	}
	var doc struct {
		Format      string `json:"format"`
		Transitions []struct {
			Verdict string `json:"verdict"`
		} `json:"transitions"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if doc.Format != "carpvm.explain/v1" || len(doc.Transitions) != 1 || doc.Transitions[0].Verdict != "planned" {
		t.Fatalf("document = %+v, want the one good (planned) transition explained", doc)
	}
}

// Usage errors: no file, a bad -o, a bad window.
func TestExplainUsage(t *testing.T) {
	for _, args := range [][]string{
		{"explain", "--sim"},
		{"explain", "--sim", "--transitions", "-", "-o", "yaml"},
		{"explain", "--sim", "--transitions", "-", "--window", "-1s"},
		{"explain", "--topology", "cluster", "--transitions", "-"},
		{"explain", "--sim", "--transitions", filepath.Join(t.TempDir(), "missing.jsonl")},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
		if code != exitUsage || errOut.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 with a message", args, code, errOut.String())
		}
	}
}
