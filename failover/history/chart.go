package history

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/table"
)

// The trend chart's size and inner margins, in SVG user units (pixels).
const (
	chartWidth   = 640
	chartHeight  = 240
	chartLeft    = 56 // room for the seconds
	chartRight   = 16
	chartTop     = 32 // room for the legend
	chartBottom  = 40 // room for the dates
	chartInset   = 36 // first and last drill from the plot's edges, so that their dates fit
	minDateSpace = 84 // pixels between two dates on the time axis
)

// chartSeries is one line of the trend chart.
type chartSeries struct {
	class, label, color string
	value               func(failover.Report) float64
}

var chartLines = []chartSeries{
	{"takeover", "takeover", "#1f77b4", func(r failover.Report) float64 { return r.TakeoverS }},
	{"blackout", "client blackout", "#d62728", func(r failover.Report) float64 { return r.BlackoutS }},
}

// chartRuns are the runs that measured a takeover and a blackout (a
// witness saw a new master), oldest first.
func chartRuns(runs []failover.Report) []failover.Report {
	var out []failover.Report
	for _, r := range runs {
		if r.NewMaster != "" && r.Measured("takeover_s") && r.Measured("blackout_s") {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b failover.Report) int { return a.Started.Compare(b.Started) })
	return out
}

// TrendChartSVG draws the takeover and the client blackout of runs (one
// pair, network and trigger) over time as a standalone SVG: one point of
// each per measured run (hollow for a failed drill), seconds on the
// vertical axis, the drills' dates (UTC) on the horizontal one. It returns
// nil when no run measured them.
func TrendChartSVG(runs []failover.Report) []byte {
	pts := chartRuns(runs)
	if len(pts) == 0 {
		return nil
	}
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)

	first, last := pts[0].Started, pts[len(pts)-1].Started
	span := last.Sub(first)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return chartLeft + plotW/2
		}
		return chartLeft + chartInset + (plotW-2*chartInset)*float64(t.Sub(first))/float64(span)
	}
	top := 0.0
	for _, r := range pts {
		for _, l := range chartLines {
			top = max(top, l.value(r))
		}
	}
	step := niceStep(top / 4)
	yMax := step * math.Max(1, math.Ceil(top/step))
	y := func(v float64) float64 { return chartTop + plotH*(1-v/yMax) }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		chartWidth, chartHeight, chartWidth, chartHeight)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", chartWidth, chartHeight)
	// Horizontal grid lines and the seconds.
	for v := 0.0; v <= yMax+step/2; v += step {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd"/>`+"\n", chartLeft, y(v), chartWidth-chartRight, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", chartLeft-6, y(v)+4, formatSeconds(v, step))
	}
	fmt.Fprintf(&b, `<text x="14" y="%.1f" text-anchor="middle" transform="rotate(-90 14 %.1f)">seconds</text>`+"\n",
		chartTop+plotH/2, chartTop+plotH/2)
	// Axes.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%.1f" stroke="#444444"/>`+"\n", chartLeft, chartTop, chartLeft, chartTop+plotH)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#444444"/>`+"\n", chartLeft, chartTop+plotH, chartWidth-chartRight, chartTop+plotH)
	// The dates of the drills, as many as fit.
	for _, r := range datedRuns(pts, x) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#444444"/>`+"\n", x(r.Started), chartTop+plotH, x(r.Started), chartTop+plotH+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x(r.Started), chartTop+plotH+16, r.Started.UTC().Format(time.DateOnly))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">drill date (UTC)</text>`+"\n", chartLeft+plotW/2, chartHeight-6)
	// The lines, their points (a title each, shown on hover), the legend.
	for i, l := range chartLines {
		b.WriteString(`<polyline fill="none" stroke="` + l.color + `" stroke-width="1.5" points="`)
		for j, r := range pts {
			if j > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.1f,%.1f", x(r.Started), y(l.value(r)))
		}
		b.WriteString(`"/>` + "\n")
		for _, r := range pts {
			fill := l.color
			if !r.Pass {
				fill = "#ffffff"
			}
			fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="3" fill="%s" stroke="%s"><title>`, l.class, x(r.Started), y(l.value(r)), fill, l.color)
			xmlText(&b, fmt.Sprintf("%s %s: %.3f s (%s)", r.Started.UTC().Format("2006-01-02 15:04"), l.label, l.value(r), table.PassFail(r.Pass)))
			b.WriteString("</title></circle>\n")
		}
		lx := chartLeft + 150*i
		fmt.Fprintf(&b, `<line x1="%d" y1="14" x2="%d" y2="14" stroke="%s" stroke-width="2"/>`+"\n", lx, lx+18, l.color)
		fmt.Fprintf(&b, `<text x="%d" y="18">`, lx+24)
		xmlText(&b, l.label+" (s)")
		b.WriteString("</text>\n")
	}
	fmt.Fprintf(&b, `<text x="%d" y="18">hollow: failed drill</text>`+"\n", chartLeft+300)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// datedRuns are the runs whose date is written under the time axis: the
// last one, then from the first on every one at least minDateSpace from
// those already dated.
func datedRuns(pts []failover.Report, x func(time.Time) float64) []failover.Report {
	out := []failover.Report{pts[len(pts)-1]}
	for _, r := range pts[:len(pts)-1] {
		fits := true
		for _, d := range out {
			fits = fits && math.Abs(x(r.Started)-x(d.Started)) >= minDateSpace
		}
		if fits {
			out = append(out, r)
		}
	}
	return out
}

// niceStep is the smallest of 1, 2 or 5 times a power of ten that is at
// least v (a tick step people read easily); 0.1 for v <= 0.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 0.1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// formatSeconds writes v with as many decimals as the step needs.
func formatSeconds(v, step float64) string {
	decimals := 0
	if step < 1 {
		decimals = int(math.Ceil(-math.Log10(step)))
	}
	return fmt.Sprintf("%.*f", decimals, v)
}

func xmlText(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
}
