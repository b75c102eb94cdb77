package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindPrebuilt(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const env = "CARPVM_TESTBIN_SELFTEST"
	b := &binary{env: env, name: "tool", pkg: "example.invalid/none"}
	for _, tc := range []struct {
		name, value, want, wantErr string
	}{
		{"executable", exe, exe, ""},
		{"relative", "bin/carpvm", "", "want an absolute path"},
		{"missing", filepath.Join(dir, "nope"), "", "no such file"},
		{"directory", dir, "", "want an executable file"},
		{"not executable", plain, "", "want an executable file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(env, tc.value)
			got, err := b.find(t.TempDir())
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("find = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), env) {
				t.Fatalf("find = %q, %v; want an error naming %s and saying %q", got, err, env, tc.wantErr)
			}
		})
	}
}

// A package that forgot testbin.Main is told so, even with the variable
// set, rather than leaking a build directory.
func TestFindWithoutMain(t *testing.T) {
	const env = "CARPVM_TESTBIN_SELFTEST"
	t.Setenv(env, os.Args[0])
	b := &binary{env: env, name: "tool", pkg: "example.invalid/none"}
	if _, err := b.find(""); err == nil || !strings.Contains(err.Error(), "testbin.Main") {
		t.Fatalf("find without a build directory = %v; want an error naming testbin.Main", err)
	}
}

// Without the variable, the binary is built into the directory and runs.
func TestFindBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: links a binary")
	}
	const env = "CARPVM_TESTBIN_SELFTEST"
	t.Setenv(env, "")
	dir := t.TempDir()
	b := &binary{env: env, name: "hello", pkg: "github.com/carpvm/carpvm/internal/testbin/testdata/hello"}
	got, err := b.find(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dir, "hello") {
		t.Fatalf("built at %q, want it in %s", got, dir)
	}
	out, err := exec.Command(got).Output()
	if err != nil || string(out) != "hello\n" {
		t.Fatalf("built binary printed %q, %v; want \"hello\\n\"", out, err)
	}
}
