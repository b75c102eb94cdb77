package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/config"
)

func TestNodeGolden(t *testing.T) {
	fs, err := Node(config.Simulator(), "router-003", LinuxOptions{Interface: map[string]string{"intranought": "ens192", "public": "ens224"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "node-router-003", print(t, fs))
}

// TestNodeConfigLoads feeds the rendered node.yaml to the node's own
// loader, so the renderer and the runtime cannot drift apart.
func TestNodeConfigLoads(t *testing.T) {
	dir := t.TempDir()
	c := config.Simulator()
	for i := range c.Networks {
		pass := filepath.Join(dir, c.Networks[i].Name+".pass")
		if err := os.WriteFile(pass, []byte("123piano2026%\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c.Networks[i].PassFile = pass
	}
	fs, err := Node(c, "router-002", LinuxOptions{Interface: map[string]string{"intranought": "ens192", "public": "ens224"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(path, []byte(fs[0].Content), 0o644); err != nil {
		t.Fatal(err)
	}
	nc, err := node.LoadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("rendered node.yaml does not load: %v\n%s", err, fs[0].Content)
	}
	if len(nc.Groups) != 2 || nc.Groups[0].VHID != 1 || nc.Groups[1].Interface != "ens224" || nc.Groups[1].VMAC || !nc.Groups[0].VMAC || !nc.Groups[0].Preempt {
		t.Errorf("loaded groups = %+v", nc.Groups)
	}
	if strings.Contains(fs[0].Content, "123piano") {
		t.Error("node.yaml holds the passphrase; it must only name the file")
	}
}
