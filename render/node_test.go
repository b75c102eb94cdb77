package render

import (
	"net/netip"
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

// IPv6 VIPs pass through to node.yaml, which the node loads.
func TestNodeRendersIPv6VIPs(t *testing.T) {
	dir := t.TempDir()
	c := config.Simulator()
	c.Networks[0].VIPs = append(c.Networks[0].VIPs, netip.MustParsePrefix("2001:db8:27::14/64"))
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
	if !strings.Contains(fs[0].Content, "vips: [172.27.27.14/28, 2001:db8:27::14/64]") {
		t.Errorf("node.yaml lacks the IPv6 VIP:\n%s", fs[0].Content)
	}
	path := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(path, []byte(fs[0].Content), 0o644); err != nil {
		t.Fatal(err)
	}
	nc, err := node.LoadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("rendered node.yaml does not load: %v", err)
	}
	if got := nc.Groups[0].VIPs; len(got) != 2 || got[1] != netip.MustParsePrefix("2001:db8:27::14/64") {
		t.Errorf("loaded VIPs %v", got)
	}
}
