package history

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
)

// weeklyRuns are n weekly drills of one pair, network and trigger, each
// measured by a witness.
func weeklyRuns(n int) []failover.Report {
	start := time.Date(2026, 9, 1, 5, 30, 0, 0, time.UTC)
	var out []failover.Report
	for i := range n {
		out = append(out, failover.Report{
			Pass: true, Pair: "site-a", Network: "intranought", Trigger: "nic-disconnect", VHID: 1,
			OldMaster: "router-002", NewMaster: "router-003",
			TakeoverS: 3.0 + 0.1*float64(i), BlackoutS: 3.2 + 0.2*float64(i%3),
			Started: start.AddDate(0, 0, 7*i),
		})
	}
	return out
}

// svgElement is what the test reads of an SVG element.
type svgElement struct {
	name  string
	attrs map[string]string
	text  string
}

// parseSVG decodes the chart with encoding/xml (an error for anything that
// is not well-formed) and returns its elements in document order.
func parseSVG(t *testing.T, b []byte) []svgElement {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var out []svgElement
	var open []int
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
				if tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root element in namespace %q, want SVG's", tok.Name.Space)
				}
			}
			e := svgElement{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			open = append(open, len(out)-1)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				out[open[len(open)-1]].text += string(tok)
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	return out
}

// TestTrendChartSVG: the chart is well-formed SVG with one takeover and
// one blackout point per drill, axes labelled with their unit and the
// drills' dates.
func TestTrendChartSVG(t *testing.T) {
	runs := weeklyRuns(6)
	svg := TrendChartSVG(runs)
	if svg == nil {
		t.Fatal("no chart for six measured drills")
	}
	els := parseSVG(t, svg)
	points := map[string]int{}
	var texts []string
	for _, e := range els {
		if e.name == "circle" {
			points[e.attrs["class"]]++
		}
		if e.name == "text" {
			texts = append(texts, e.text)
		}
	}
	if points["takeover"] != len(runs) || points["blackout"] != len(runs) {
		t.Errorf("points %v: want %d takeover and %d blackout", points, len(runs), len(runs))
	}
	all := strings.Join(texts, "|")
	for _, want := range []string{"seconds", "takeover", "blackout", "2026-09-01", runs[len(runs)-1].Started.Format(time.DateOnly)} {
		if !strings.Contains(all, want) {
			t.Errorf("no text %q in the chart (texts %q)", want, texts)
		}
	}
}

// TestTrendChartSkipsUnmeasured: a drill without a witness (the simulator)
// or without a new master has no figures to plot; a single measured drill
// is one point of each.
func TestTrendChartSkipsUnmeasured(t *testing.T) {
	runs := weeklyRuns(2)
	runs[0].Unavailable = []string{"new_master", "takeover_s", "blackout_s"}
	runs = append(runs, failover.Report{Pair: "site-a", Network: "intranought", Trigger: "nic-disconnect", Started: runs[1].Started.AddDate(0, 0, 7)})
	points := 0
	for _, e := range parseSVG(t, TrendChartSVG(runs)) {
		if e.name == "circle" {
			points++
		}
	}
	if points != 2 {
		t.Errorf("%d points, want 2 (the one measured drill's takeover and blackout)", points)
	}
}

// TestTrendChartEmpty: no drill, or none measured, gives no chart, and the
// Markdown trend section is left out without an error.
func TestTrendChartEmpty(t *testing.T) {
	unmeasured := []failover.Report{{Pair: "site-a", Network: "intranought", Trigger: "power-off", Unavailable: []string{"new_master", "takeover_s", "blackout_s"}}}
	for name, h := range map[string][]failover.Report{"empty": nil, "unmeasured": unmeasured} {
		if svg := TrendChartSVG(h); svg != nil {
			t.Errorf("%s: a chart: %s", name, svg)
		}
		var b strings.Builder
		if err := WriteMarkdownTrends(&b, h); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if b.Len() != 0 {
			t.Errorf("%s: wrote %q, want nothing", name, b.String())
		}
	}
}

// TestMarkdownTrends: the Markdown trend section has one chart per pair,
// network and trigger of the history, inline, each with its runs' points.
func TestMarkdownTrends(t *testing.T) {
	h := weeklyRuns(4)
	other := weeklyRuns(3)
	for i := range other {
		other[i].Network = "public"
	}
	h = append(h, other...)
	var b strings.Builder
	if err := WriteMarkdownTrends(&b, h); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if !strings.Contains(md, "## Trend") || strings.Count(md, "<svg") != 2 {
		t.Fatalf("want a trend section with two charts:\n%s", md)
	}
	for _, want := range []string{"### site-a, intranought, nic-disconnect", "### site-a, public, nic-disconnect"} {
		if !strings.Contains(md, want) {
			t.Errorf("no heading %q in:\n%s", want, md)
		}
	}
	// Each chart is well-formed on its own, with its own runs' points.
	for i, n := range []int{4, 3} {
		start := strings.Index(md, "<svg")
		end := strings.Index(md, "</svg>") + len("</svg>")
		points := 0
		for _, e := range parseSVG(t, []byte(md[start:end])) {
			if e.name == "circle" && e.attrs["class"] == "takeover" {
				points++
			}
		}
		if points != n {
			t.Errorf("chart %d: %d takeover points, want %d", i, points, n)
		}
		md = md[end:]
	}
}
