package deploycheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/carpvm/carpvm/carp"
)

// promDir holds the alerting rules and their promtool unit tests.
var promDir = filepath.Join("..", "..", "docs", "deploy", "prometheus")

const rulesFile = "carpvm-rules.yml"

// promtool returns promtool's path, or skips the test: Debian's
// prometheus package has it (scripts/install-test-deps installs it, as
// `make test` and CI run).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (Debian's prometheus package; scripts/install-test-deps installs it as root)")
	}
	return p
}

func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = promDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
}

// ruleTestFiles are the promtool unit tests beside the rules.
func ruleTestFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(promDir, "*.test.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool unit tests in %s (%v)", promDir, err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}

func TestRulesCheck(t *testing.T) {
	runPromtool(t, "check", "rules", rulesFile)
}

func TestRulesUnitTests(t *testing.T) {
	runPromtool(t, append([]string{"test", "rules"}, ruleTestFiles(t)...)...)
}

// alertRule is what these tests read of a rule.
type alertRule struct {
	Alert       string
	Expr        string
	For         string
	Labels      map[string]string
	Annotations map[string]string
}

func readRules(t *testing.T) []alertRule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(promDir, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string
			Rules []alertRule
		}
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var out []alertRule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// TestRulesActionable: every alert waits (for:), says how bad it is
// (severity: critical or warning), and tells the operator what happened
// and what to do (summary, description); every alert has a promtool unit
// test that names it.
func TestRulesActionable(t *testing.T) {
	var tests strings.Builder
	for _, f := range ruleTestFiles(t) {
		b, err := os.ReadFile(filepath.Join(promDir, f))
		if err != nil {
			t.Fatal(err)
		}
		tests.Write(b)
	}
	rules := readRules(t)
	if len(rules) == 0 {
		t.Fatalf("%s has no rules", rulesFile)
	}
	for _, r := range rules {
		if r.Alert == "" {
			t.Errorf("%s: a rule that is not an alert: %q", rulesFile, r.Expr)
			continue
		}
		if r.For == "" {
			t.Errorf("%s: no for:", r.Alert)
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
		}
		if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
			t.Errorf("%s: want a summary and a description annotation", r.Alert)
		}
		if !strings.Contains(tests.String(), "alertname: "+r.Alert+"\n") {
			t.Errorf("%s: no promtool unit test names it", r.Alert)
		}
	}
}

var (
	metricName = regexp.MustCompile(`\bcarpvm_[a-zA-Z0-9_]+`)
	// reasonMatcher is a matcher on the reason label: reason="x",
	// reason=~"x|y", reason!~"x|y".
	reasonMatcher = regexp.MustCompile(`\breason\s*(?:=~|!~|!=|=)\s*"([^"]*)"`)
)

// TestRulesNameExportedMetrics: every metric the rules' expressions name
// is one the node or the drill exports, and every rejection reason they
// match is one the node counts.
func TestRulesNameExportedMetrics(t *testing.T) {
	exported := exportedNames(t)
	var reasons []string
	for _, r := range carp.Rejects() {
		reasons = append(reasons, r.String())
	}
	for _, r := range readRules(t) {
		names := metricName.FindAllString(r.Expr, -1)
		if len(names) == 0 {
			t.Errorf("%s: no carpvm metric in %q", r.Alert, r.Expr)
		}
		for _, n := range names {
			if !exported[n] {
				t.Errorf("%s: %s is not a metric carpvm exports", r.Alert, n)
			}
		}
		for _, m := range reasonMatcher.FindAllStringSubmatch(r.Expr, -1) {
			for _, reason := range strings.Split(m[1], "|") {
				if !slices.Contains(reasons, reason) {
					t.Errorf("%s: reason %q is not one the node counts (%s)", r.Alert, reason, strings.Join(reasons, ", "))
				}
			}
		}
	}
}
