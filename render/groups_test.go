package render

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/viper"

	"github.com/carpvm/carpvm/config"
)

// loadExample loads a carpvm.yaml of docs/examples.
func loadExample(t *testing.T, name string) *config.Config {
	t.Helper()
	v := viper.New()
	v.SetConfigFile(filepath.Join("..", "docs", "examples", name))
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(v, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var vhidSkew = regexp.MustCompile(`vhid (\d+) advbase \d+ advskew (\d+) `)

// Each router gets the lower advskew on the groups it is the preferred
// master of, and the higher on the others: an active/active pair.
func TestFreeBSDActiveActiveAdvskews(t *testing.T) {
	c := loadExample(t, "active-active.yaml")
	want := map[string]map[string]string{
		"router-002": {"1": "0", "3": "100", "2": "0"},
		"router-003": {"1": "100", "3": "0", "2": "100"},
	}
	for router, skews := range want {
		fs, err := FreeBSD(c, router, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, m := range vhidSkew.FindAllStringSubmatch(fs[2].Content, -1) {
			got[m[1]] = m[2]
		}
		if diff := cmp.Diff(skews, got); diff != "" {
			t.Errorf("%s: advskew per vhid (-want +got):\n%s", router, diff)
		}
		if !strings.Contains(fs[1].Content, "net.inet.carp.preempt=1") {
			t.Errorf("%s: sysctl.conf lacks preempt, which whole-router failover needs", router)
		}
	}
	fs, _ := FreeBSD(c, "router-003", nil)
	golden(t, "freebsd-active-active-router-003", print(t, fs))
}

func TestNodeAndUcarpActiveActive(t *testing.T) {
	c := loadExample(t, "active-active.yaml")
	opts := LinuxOptions{Interface: map[string]string{"intranought": "ens192", "public": "ens224"}}
	nfs, err := Node(c, "router-003", opts)
	if err != nil {
		t.Fatal(err)
	}
	yskew := regexp.MustCompile(`vhid: (\d+)\n(?:.*\n){2}    advskew: (\d+)`)
	got := map[string]string{}
	for _, m := range yskew.FindAllStringSubmatch(nfs[0].Content, -1) {
		got[m[1]] = m[2]
	}
	if diff := cmp.Diff(map[string]string{"1": "100", "3": "0", "2": "100"}, got); diff != "" {
		t.Errorf("node.yaml advskew per vhid (-want +got):\n%s\n%s", diff, nfs[0].Content)
	}
	c.Networks[1].Addresses = nil
	ufs, err := Ucarp(c, "router-003", opts)
	if err != nil {
		t.Fatal(err)
	}
	vhidArg, skewArg := regexp.MustCompile(`--vhid=\d+`), regexp.MustCompile(`--advskew=\d+`)
	var units []string
	for _, f := range ufs[2:] { // after vip-up.sh and vip-down.sh
		units = append(units, filepath.Base(f.Path)+" "+vhidArg.FindString(f.Content)+" "+skewArg.FindString(f.Content))
	}
	want := []string{
		"ucarp-intranought-vhid1.service --vhid=1 --advskew=100",
		"ucarp-intranought-vhid3.service --vhid=3 --advskew=0",
		"ucarp-public.service --vhid=2 --advskew=100",
	}
	if diff := cmp.Diff(want, units); diff != "" {
		t.Errorf("ucarp units (-want +got):\n%s", diff)
	}
}

// A public network whose VIPs share one OVH virtual MAC cannot have its
// groups mastered by different routers: render refuses, saying what works.
func TestRenderRefusesGroupsSplitAcrossOneVMAC(t *testing.T) {
	c := loadExample(t, "active-active.yaml")
	pub := &c.Networks[1]
	pub.MoreGroups = []config.Group{{VHID: 4, VIPs: pub.VIPs[:1], Master: "router-003"}}
	opts := LinuxOptions{Interface: map[string]string{"intranought": "ens192", "public": "ens224"}}
	for name, render := range map[string]func() error{
		"freebsd": func() error { _, err := FreeBSD(c, "router-002", nil); return err },
		"node":    func() error { _, err := Node(c, "router-002", opts); return err },
		"ucarp":   func() error { _, err := Ucarp(c, "router-002", opts); return err },
	} {
		err := render()
		var split *config.VMACSplitError
		if !errors.As(err, &split) || !strings.Contains(err.Error(), "vhid 2 on router-002, vhid 4 on router-003") || !strings.Contains(err.Error(), "02:00:00:aa:bb:cc") {
			t.Errorf("%s: err = %v; want the virtual MAC split named", name, err)
		}
	}
}
