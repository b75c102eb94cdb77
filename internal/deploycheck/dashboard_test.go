package deploycheck

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var dashboardFile = filepath.Join("..", "..", "docs", "deploy", "grafana", "carpvm.json")

// dashboardQuery is one PromQL query of the dashboard and where it is.
type dashboardQuery struct{ where, expr string }

// dashboardQueries returns every panel target's expr and every templating
// variable's query.
func dashboardQueries(t *testing.T) []dashboardQuery {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	type target struct{ Expr string }
	type panel struct {
		Title   string
		Type    string
		Targets []target
		Panels  []panel // a collapsed row's
	}
	var d struct {
		Panels     []panel
		Templating struct {
			List []struct {
				Name  string
				Type  string
				Query json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var out []dashboardQuery
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for i, tg := range p.Targets {
				out = append(out, dashboardQuery{fmt.Sprintf("panel %q target %d", p.Title, i), tg.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct{ Query string }
		if err := json.Unmarshal(v.Query, &q); err != nil {
			if err := json.Unmarshal(v.Query, &q.Query); err != nil {
				t.Fatalf("variable %s: query %s", v.Name, v.Query)
			}
		}
		out = append(out, dashboardQuery{"variable " + v.Name, q.Query})
	}
	if len(out) == 0 {
		t.Fatalf("%s has no queries", dashboardFile)
	}
	return out
}

// TestDashboardNamesExportedMetrics: every query of the Grafana dashboard
// names at least one carpvm metric, and only metrics the node or the drill
// really exports.
func TestDashboardNamesExportedMetrics(t *testing.T) {
	exported := exportedNames(t)
	used := map[string]bool{}
	for _, q := range dashboardQueries(t) {
		names := metricName.FindAllString(q.expr, -1)
		if len(names) == 0 {
			t.Errorf("%s: no carpvm metric in %q", q.where, q.expr)
		}
		for _, n := range names {
			used[n] = true
			if !exported[n] {
				t.Errorf("%s: %s is not a metric carpvm exports", q.where, n)
			}
		}
	}
	// The panels the dashboard promises: per group state, transitions and
	// rejections; per pair the drills' takeover and blackout.
	for _, n := range []string{"carpvm_node_state", "carpvm_node_transitions_total", "carpvm_node_adverts_rejected_total", "carpvm_drill_takeover_seconds", "carpvm_drill_blackout_seconds"} {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}

// grafanaVariable is a dashboard variable or Grafana's own in a query.
var grafanaVariable = regexp.MustCompile(`\$(__rate_interval|__interval|__range|[a-z]+)`)

// TestDashboardQueriesParse: every panel query is valid PromQL, checked
// by promtool as the expression of a recording rule (Grafana's variables
// replaced by values of their kind). The templating variables'
// label_values() are Grafana's, not PromQL, and are left out.
func TestDashboardQueriesParse(t *testing.T) {
	bin := promtool(t)
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for i, q := range dashboardQueries(t) {
		if strings.HasPrefix(q.where, "variable ") {
			continue
		}
		expr := grafanaVariable.ReplaceAllStringFunc(q.expr, func(v string) string {
			if strings.HasPrefix(v, "$__") {
				return "5m"
			}
			return ".*"
		})
		rules = append(rules, rule{Record: fmt.Sprintf("dashboard:query%d", i), Expr: expr})
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("a dashboard query is not valid PromQL: %v\n%s\n%s", err, out, b)
	}
}
