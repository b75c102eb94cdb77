package workflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
)

// CheckConfig reads a fleet as preflight does, only the pair asked for
// when one is, and a node.yaml as node run does; a refused file still
// says which kind it is.
func TestCheckConfig(t *testing.T) {
	getenv := func(string) string { return "" }
	fleet := filepath.Join("..", "docs", "examples", "fleet.yaml")
	cc, err := CheckConfig(fleet, getenv, "")
	if err != nil || cc.Kind != config.KindCarpvm || len(cc.Pairs) != 2 || cc.Node != nil {
		t.Fatalf("fleet: %+v, %v; want its two pairs", cc, err)
	}
	if cc, err := CheckConfig(fleet, getenv, "roubaix"); err != nil || len(cc.Pairs) != 1 || cc.Pairs[0].Pair.Name != "roubaix" {
		t.Errorf("fleet --pair roubaix: %+v, %v; want that pair alone", cc, err)
	}
	if _, err := CheckConfig(fleet, getenv, "lyon"); err == nil || !strings.Contains(err.Error(), "lyon") {
		t.Errorf("fleet --pair lyon: %v; want an error naming the pair", err)
	}

	dir := t.TempDir()
	nodeYAML := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(nodeYAML, []byte("name: router-002\ngroups:\n  - interface: eth0\n    vhid: 1\n    vips: [172.27.27.14/28]\n    advbase: 1\n    bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cc, err := CheckConfig(nodeYAML, getenv, ""); err == nil || cc.Kind != config.KindNode || cc.Node != nil {
		t.Errorf("node.yaml with an unknown key: %+v, %v; want it refused as a node.yaml", cc, err)
	}
}
