package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/config"
)

// TestGroupSettingsResolve: one resolver for flags and node.yaml: the
// error names the setting as its author wrote it, and defaults apply.
func TestGroupSettingsResolve(t *testing.T) {
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("123piano2026%\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	flag := func(name string) string { return "--" + strings.ReplaceAll(name, "_", "-") }
	file := func(name string) string { return "groups[0]." + name }
	ptr := func(v int) *int { return &v }
	base := func() GroupSettings {
		return GroupSettings{Interface: "ens192", VHID: ptr(1), VIPs: []string{"172.27.27.14/28"}, PassFile: pass}
	}
	key, err := carp.NewKey([]byte("123piano2026%"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := base().Resolve(flag, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.AdvBase != DefaultAdvBase || !g.VMAC || !g.ManageVIPs || g.Version != carp.Version || !g.Key.Equal(key) || len(g.VIPs) != 1 {
		t.Errorf("defaults: %+v, want advbase %d, a virtual MAC, managed VIPs, CARP, a key", g, DefaultAdvBase)
	}
	for _, tc := range []struct {
		name string
		edit func(*GroupSettings)
		key  func(string) string
		want string
	}{
		{"no vhid", func(gs *GroupSettings) { gs.VHID = nil }, file, "groups[0].vhid"},
		{"vhid out of range", func(gs *GroupSettings) { gs.VHID = ptr(256) }, flag, "--vhid"},
		{"vhid as written", func(gs *GroupSettings) {
			gs.Written = func(string) (string, bool) { return "1.5", true }
		}, file, "groups[0].vhid"},
		{"advbase", func(gs *GroupSettings) { gs.AdvBase = ptr(300) }, flag, "--advbase"},
		{"advskew", func(gs *GroupSettings) { gs.AdvSkew = 255 }, file, "groups[0].advskew"},
		{"vip", func(gs *GroupSettings) { gs.VIPs = []string{"172.27.27.14/28", "nope"} }, file, "groups[0].vips[1]"},
		{"no passphrase", func(gs *GroupSettings) { gs.PassFile = "" }, flag, "--pass-file"},
		{"VRRPv3 with a passphrase", func(gs *GroupSettings) { gs.Protocol.CarpVer = 3 }, flag, "--pass-file"},
		{"protocol", func(gs *GroupSettings) { gs.Protocol.VRRPPrio = 7 }, file, "groups[0].carpver"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs := base()
			tc.edit(&gs)
			_, err := gs.Resolve(tc.key, func(string) string { return "" })
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Key != tc.want {
				t.Errorf("err %v, want a *config.Error on %s", err, tc.want)
			}
		})
	}
	gs := base()
	gs.PassFile, gs.ManageVIPs, gs.NoVMAC = "", new(bool), true
	g, err = gs.Resolve(flag, func(name string) string { return map[string]string{PassEnv: "123piano2026%"}[name] })
	if err != nil || g.ManageVIPs || g.VMAC || !g.Key.Equal(key) {
		t.Errorf("$%s, unmanaged VIPs, no vMAC: %+v, %v", PassEnv, g, err)
	}
}
