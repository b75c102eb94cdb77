package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The misspellings are built by concatenation, so that the source scan
// of TestVariablesNameEveryVariableInTheTree finds only known names here.
func TestCheckEnvironNamesTheVariableAndTheNearest(t *testing.T) {
	tests := []struct {
		name, entry string
		want        []string // substrings of the one warning; nil for none
	}{
		{"doubled letter", "CARPVM_PAIR_ROUTERS" + "S=router-002,router-003", []string{"CARPVM_PAIR_ROUTERS" + "S ", "did you mean CARPVM_PAIR_ROUTERS?"}},
		{"dropped letter", "CARPVM_" + "VSPHER_URL=https://vc", []string{"CARPVM_" + "VSPHER_URL ", "did you mean CARPVM_VSPHERE_URL?"}},
		{"transposed", "CARPVM_" + "CONFIG_=x", []string{"did you mean CARPVM_CONFIG?"}},
		{"far from any", "CARPVM_" + "XYZZY=1", []string{"CARPVM_" + "XYZZY ", "ignored", "the nearest known one is CARPVM_"}},
		{"known", "CARPVM_PAIR_ROUTERS=a,b", nil},
		{"known, set for hooks", "CARPVM_VHID=1", nil},
		{"known, empty", "CARPVM_CONFIG=", nil},
		{"another prefix", "GOVC_URL=https://vc", nil},
		{"the prefix inside a name", "MY_CARPVM_" + "X=1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckEnviron([]string{"PATH=/bin", tt.entry})
			if tt.want == nil {
				if len(got) != 0 {
					t.Errorf("CheckEnviron(%q) = %q, want no warning", tt.entry, got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("CheckEnviron(%q) = %q, want one warning", tt.entry, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("warning %q does not say %q", got[0], w)
				}
			}
			if _, value, _ := strings.Cut(tt.entry, "="); strings.Contains(got[0], value) {
				t.Errorf("warning %q quotes the value %q (it may be a secret)", got[0], value)
			}
		})
	}
}

// Every CARPVM_* name the code, the Makefile, the shipped scripts and
// manifests and the docs use is in the one list, so that none draws a
// warning when it is set (but the docs' example of the warning itself).
func TestVariablesNameEveryVariableInTheTree(t *testing.T) {
	var known []string
	for _, v := range Variables() {
		known = append(known, v.Name)
	}
	name := regexp.MustCompile(`CARPVM_[A-Z0-9_]*[A-Z0-9]`)
	seen := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "vendor" || n == "testdata" || n == "bin" {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if !slices.Contains([]string{".go", ".md", ".yaml", ".yml", ".sh", ".conf", ".service"}, ext) && d.Name() != "Makefile" && !strings.Contains(filepath.ToSlash(path), "docs/deploy/") && !strings.HasPrefix(filepath.ToSlash(path), "../scripts/") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var text []string
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, "carpvm: warning: ") {
				text = append(text, line)
			}
		}
		for _, n := range name.FindAllString(strings.Join(text, "\n"), -1) {
			seen++
			if n == "CARPVM_VSPHERE" || n == "CARPVM_PAIR" { // prefixes: CARPVM_VSPHERE_*
				continue
			}
			if !slices.Contains(known, n) {
				t.Errorf("%s uses %s, which config.Variables does not list", path, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 50 {
		t.Fatalf("found %d uses of CARPVM_* names; the walk missed the tree", seen)
	}
}

// The key variables override the file; nothing is read from the process
// environment, only from the getenv given.
func TestNewViperReadsKeyVariablesFromGetenv(t *testing.T) {
	t.Setenv("CARPVM_VSPHERE_USERNAME", "from-the-process")
	file := filepath.Join(t.TempDir(), "carpvm.yaml")
	yaml := "vsphere: {url: https://file.example/sdk}\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"CARPVM_PAIR_ROUTERS": "router-002, router-003",
		"CARPVM_VSPHERE_URL":  "https://env.example/sdk",
		// the devd transition script's own variable, not carpvm.yaml's networks
		"CARPVM_NETWORKS": "/usr/local/etc/carpvm/networks",
	}
	v, err := NewViper(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(v, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RouterVMs(); !slices.Equal(got, []string{"router-002", "router-003"}) {
		t.Errorf("routers from CARPVM_PAIR_ROUTERS = %v, want [router-002 router-003]", got)
	}
	if c.VSphere.URL != "https://env.example/sdk" {
		t.Errorf("vsphere.url = %q, want CARPVM_VSPHERE_URL's", c.VSphere.URL)
	}
	if c.VSphere.Username != "" {
		t.Errorf("vsphere.username = %q: read from the process environment, not getenv", c.VSphere.Username)
	}
	if len(c.Networks) != 1 || c.Networks[0].Name != "n" {
		t.Errorf("networks = %+v, want the file's", c.Networks)
	}
}
