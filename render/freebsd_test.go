package render

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func print(t *testing.T, fs Files) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := fs.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFreeBSDGolden(t *testing.T) {
	for _, router := range []string{"router-002", "router-003"} {
		fs, err := FreeBSD(config.Simulator(), router, nil)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "freebsd-"+router, print(t, fs))
	}
}

// aliasLine is ifconfig(8)'s carp alias syntax as rc.conf carries it.
var aliasLine = regexp.MustCompile(`^ifconfig_([a-z]+[0-9]+)_alias([0-9]+)="(inet6?) (.*)"$`)

// checkIfconfigCarp parses the words of one "inet[6] vhid ..." alias the
// way ifconfig does and checks every value's range and the address's
// family, independently of FreeBSD().
func checkIfconfigCarp(family string, words []string) error {
	seen := map[string]string{}
	for i := 0; i < len(words); i++ {
		switch w := words[i]; w {
		case "vhid", "advbase", "advskew", "pass", "alias":
			if i+1 >= len(words) {
				return fmt.Errorf("%s without a value", w)
			}
			seen[w] = words[i+1]
			i++
		default:
			return fmt.Errorf("unexpected word %q", w)
		}
	}
	ranges := map[string][2]int{"vhid": {1, 255}, "advbase": {1, 255}, "advskew": {0, 254}}
	for k, r := range ranges {
		v, ok := seen[k]
		if !ok {
			if k == "vhid" {
				return fmt.Errorf("no vhid")
			}
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < r[0] || n > r[1] {
			return fmt.Errorf("%s %q out of %d..%d", k, v, r[0], r[1])
		}
	}
	if p, ok := seen["pass"]; !ok || len(p) > 19 || strings.ContainsAny(p, " \t\"'\\$`") {
		return fmt.Errorf("pass %q not acceptable", p)
	}
	p, err := netip.ParsePrefix(seen["alias"])
	if err != nil {
		return fmt.Errorf("alias %q is not CIDR", seen["alias"])
	}
	if p.Addr().Is6() != (family == "inet6") || p.Bits() != p.Addr().BitLen() {
		return fmt.Errorf("%s alias %q: want a host prefix of that family", family, seen["alias"])
	}
	return nil
}

func TestFreeBSDLinesAreValidIfconfig(t *testing.T) {
	c := config.Simulator()
	c.Networks[0].VIPs = append(c.Networks[0].VIPs, netip.MustParsePrefix("172.27.27.13/28"), netip.MustParsePrefix("2001:db8:27::14/64"))
	secrets := Secrets{"intranought": config.NewSecret("123piano2026%"), "public": config.NewSecret("s3cret-pub")}
	fs, err := FreeBSD(c, "router-003", secrets)
	if err != nil {
		t.Fatal(err)
	}
	rc := fs[2].Content
	var n int
	aliasesPerIf := map[string][]int{}
	families := map[string]int{}
	for _, line := range strings.Split(rc, "\n") {
		m := aliasLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n++
		num, _ := strconv.Atoi(m[2])
		aliasesPerIf[m[1]] = append(aliasesPerIf[m[1]], num)
		families[m[3]]++
		if err := checkIfconfigCarp(m[3], strings.Fields(m[4])); err != nil {
			t.Errorf("%s: %v", line, err)
		}
		if !strings.Contains(line, "advskew 100") {
			t.Errorf("%s: router-003 must have advskew 100", line)
		}
	}
	if n != 4 {
		t.Errorf("got %d alias lines, want 4 (three VIPs on vmx0, one on vmx1):\n%s", n, rc)
	}
	if diff := cmp.Diff(map[string]int{"inet": 3, "inet6": 1}, families); diff != "" {
		t.Errorf("alias families (-want +got):\n%s", diff)
	}
	if want := `ifconfig_vmx0_alias2="inet6 vhid 1 advbase 1 advskew 100 pass 123piano2026% alias 2001:db8:27::14/128"`; !strings.Contains(rc, want) {
		t.Errorf("no IPv6 alias %s in:\n%s", want, rc)
	}
	if diff := cmp.Diff(map[string][]int{"vmx0": {0, 1, 2}, "vmx1": {0}}, aliasesPerIf); diff != "" {
		t.Errorf("alias numbering (-want +got):\n%s", diff)
	}
	if !strings.Contains(rc, "pass 123piano2026% alias") {
		t.Errorf("secret not rendered with --with-secrets:\n%s", rc)
	}
}

// The syntax check itself tells the families apart.
func TestCheckIfconfigCarpFamilies(t *testing.T) {
	for _, tc := range []struct {
		family, alias string
		ok            bool
	}{
		{"inet", "172.27.27.14/32", true},
		{"inet6", "2001:db8::14/128", true},
		{"inet", "2001:db8::14/128", false},
		{"inet6", "172.27.27.14/32", false},
		{"inet6", "2001:db8::14/64", false},
	} {
		err := checkIfconfigCarp(tc.family, strings.Fields("vhid 1 advbase 1 advskew 0 pass x alias "+tc.alias))
		if (err == nil) != tc.ok {
			t.Errorf("%s alias %s: %v, want ok=%v", tc.family, tc.alias, err, tc.ok)
		}
	}
}

func TestFreeBSDRefusesBadPassphrases(t *testing.T) {
	for _, pass := range []string{"twenty-characters-xx", "has space", `quo"te`, "dollar$x", "é"} {
		_, err := FreeBSD(config.Simulator(), "router-002", Secrets{"intranought": config.NewSecret(pass)})
		if err == nil {
			t.Errorf("passphrase %q accepted", pass)
			continue
		}
		if strings.Contains(err.Error(), pass) {
			t.Errorf("error %q prints the passphrase", err)
		}
	}
	if err := CheckIfconfigPassphrase("nineteen-characters"); err != nil {
		t.Errorf("19 bytes refused: %v", err)
	}
}

func TestFreeBSDPlaceholderWithoutSecrets(t *testing.T) {
	fs, err := FreeBSD(config.Simulator(), "router-002", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fs[2].Content, "pass <contents of /etc/carpvm/intranought.pass> alias") {
		t.Errorf("no placeholder:\n%s", fs[2].Content)
	}
}

func TestRenderErrors(t *testing.T) {
	c := config.Simulator()
	if _, err := FreeBSD(c, "router-009", nil); err == nil || !strings.Contains(err.Error(), "router-009") {
		t.Errorf("unknown router: %v", err)
	}
	c.Networks[1].Interface = ""
	if _, err := FreeBSD(c, "router-002", nil); err == nil || !strings.Contains(err.Error(), "networks[1].interface") {
		t.Errorf("missing interface: %v", err)
	}
}
