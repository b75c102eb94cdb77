package render

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/carpvm/carpvm/internal/netns"
)

// TestKeepalivedAcceptsOurConfig has keepalived itself (Debian's, which
// make test installs) check the rendered files with `keepalived -t`, in a
// namespace of the test's own whose veth interfaces carry the rendered
// names (keepalived refuses interfaces it cannot find).
func TestKeepalivedAcceptsOurConfig(t *testing.T) {
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/keepalived"); err != nil {
			t.Skip("keepalived not installed (make test-deps installs it)")
		}
	}
	if err := netns.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	w, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	ns, err := w.Namespace(t.Context(), "ka")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ifname := range []string{"ens192", "ens224"} {
		if out, err := ns.Run(ctx, "ip", "link", "add", ifname, "type", "veth", "peer", "name", ifname+"p"); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if out, err := ns.Run(ctx, "ip", "link", "set", ifname, "up"); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	check := func(name, content string) (string, error) {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return ns.Run(ctx, bin, "-t", "-f", path, "-l", "-n")
	}
	c := loadExample(t, "vrrp3-unicast.yaml")
	for _, router := range []string{"router-002", "router-003"} {
		fs, err := Keepalived(c, router, LinuxOptions{Interface: map[string]string{"intranought": "ens192", "public": "ens224"}})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := check(router+".conf", fs[0].Content); err != nil {
			t.Errorf("keepalived -t refuses %s's config: %v\n%s\n%s", router, err, out, fs[0].Content)
		}
	}
	// keepalived -t does fail on a file it cannot use, so the check above
	// means something.
	if out, err := check("bad.conf", "vrrp_instance x {\n    interface ens999\n    virtual_router_id 999\n}\n"); err == nil {
		t.Errorf("keepalived -t accepted a broken file:\n%s", out)
	}
}
