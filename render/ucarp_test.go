package render

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
)

func TestUcarpGolden(t *testing.T) {
	c := config.Simulator()
	fs, err := Ucarp(c, "router-003", LinuxOptions{Interface: map[string]string{"intranought": "ens192", "public": "ens224"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ucarp-router-003", print(t, fs))
	out := print(t, fs)
	for _, want := range []string{"--srcip=172.27.27.12", "--advskew=100", "--passfile=/etc/carpvm/intranought.pass", "--xparam=28", "--interface=ens192"} {
		if !strings.Contains(out, want) {
			t.Errorf("ucarp render lacks %q", want)
		}
	}
	if strings.Contains(out, "--pass=") {
		t.Error("ucarp render puts the passphrase on the command line")
	}
}

func TestUcarpRefusesSeveralVIPs(t *testing.T) {
	c := config.Simulator()
	c.Networks[0].VIPs = append(c.Networks[0].VIPs, netip.MustParsePrefix("172.27.27.13/28"))
	_, err := Ucarp(c, "router-002", LinuxOptions{})
	if err == nil || !strings.Contains(err.Error(), "2 VIPs") {
		t.Errorf("err = %v, want a refusal naming 2 VIPs", err)
	}
}

// ucarp is IPv4-only: it refuses an IPv6 --addr ("Invalid address"), so a
// network with an IPv6 VIP cannot be rendered for it.
func TestUcarpRefusesIPv6(t *testing.T) {
	c := config.Simulator()
	c.Networks[0].VIPs = []netip.Prefix{netip.MustParsePrefix("2001:db8:27::14/64")}
	_, err := Ucarp(c, "router-002", LinuxOptions{})
	if err == nil || !strings.Contains(err.Error(), "IPv4 VIPs only") || !strings.Contains(err.Error(), "2001:db8:27::14/64") {
		t.Errorf("err = %v, want a refusal naming the IPv6 VIP", err)
	}
}
