package history

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/table"
)

// WriteTable prints the runs, then the trends.
func WriteTable(w io.Writer, t table.Terminal, reps []failover.Report) error {
	var rows [][]string
	for _, r := range reps {
		rows = append(rows, []string{
			r.Started.UTC().Format(time.RFC3339), r.Pair, r.Network, r.Trigger, table.Dash(r.NewMaster),
			table.Seconds(r.TakeoverS, 0), table.Seconds(r.BlackoutS, 0), table.PassFail(r.Pass),
		})
	}
	if err := table.Write(w, t, table.Layout{Whole: []string{"PAIR", "NETWORK", "TRIGGER"}}, []string{"STARTED", "PAIR", "NETWORK", "TRIGGER", "NEW MASTER", "TAKEOVER", "BLACKOUT", "RESULT"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, t := range Trends(reps) {
		rows = append(rows, []string{
			t.Pair, t.Network, t.Trigger, fmt.Sprintf("%d/%d", t.Passed, t.Runs),
			table.Seconds(t.TakeoverMedianS, 0), table.Seconds(t.TakeoverWorstS, 0), table.Seconds(t.BlackoutMedianS, 0), table.Seconds(t.BlackoutWorstS, 0), table.Dash(t.Direction),
		})
	}
	fmt.Fprintln(w)
	if err := table.Write(w, t, table.Layout{Whole: []string{"PAIR", "NETWORK", "TRIGGER"}}, []string{"PAIR", "NETWORK", "TRIGGER", "PASSED", "TAKEOVER MEDIAN", "TAKEOVER WORST", "BLACKOUT MEDIAN", "BLACKOUT WORST", "TREND"}, rows); err != nil {
		return err
	}
	return writeUnplanned(w, reps, "\nWARNING %s %s %s %s: %s\n")
}

// writeUnplanned writes each run's unplanned transitions with their
// causes (failover.Report.UnplannedLines), one line each in format's
// terms: started, pair, network, failover.WarnUnplanned, the line.
func writeUnplanned(w io.Writer, reps []failover.Report, format string) error {
	for _, r := range reps {
		for _, line := range r.UnplannedLines() {
			if _, err := fmt.Fprintf(w, format, r.Started.UTC().Format(time.RFC3339), r.Pair, r.Network, failover.WarnUnplanned, line); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteMarkdownTrends writes a "Trend" section with a chart of the
// takeover and the blackout over time (TrendChartSVG, inline) for each
// pair, network and trigger of history, oldest first. It writes nothing
// when no run measured them.
func WriteMarkdownTrends(w io.Writer, history []failover.Report) error {
	var b strings.Builder
	for _, t := range Trends(history) {
		var runs []failover.Report
		for _, r := range history {
			if r.Pair == t.Pair && r.Network == t.Network && r.Trigger == t.Trigger {
				runs = append(runs, r)
			}
		}
		svg := TrendChartSVG(runs)
		if svg == nil {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\n## Trend\n")
		}
		fmt.Fprintf(&b, "\n### %s, %s, %s\n\n%d/%d drill(s) passed from %s to %s; takeover median %s, blackout median %s, worst %s.\n\n",
			t.Pair, t.Network, t.Trigger, t.Passed, t.Runs, runs[0].Started.UTC().Format(time.DateOnly), t.Last.UTC().Format(time.DateOnly),
			table.Seconds(t.TakeoverMedianS, 0), table.Seconds(t.BlackoutMedianS, 0), table.Seconds(t.BlackoutWorstS, 0))
		b.Write(svg)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the Markdown report of a history (of one
// pair when pair is not ""): the trend of each pair, network and trigger
// as a table, then their charts (WriteMarkdownTrends).
func WriteMarkdown(w io.Writer, reps []failover.Report, pair string) error {
	var b strings.Builder
	title := "carpvm drill history"
	if pair != "" {
		title += ": " + pair
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	if len(reps) == 0 {
		b.WriteString("No drill recorded.\n")
	} else {
		fmt.Fprintf(&b, "%d drill(s) from %s to %s.\n\n", len(reps), reps[0].Started.UTC().Format(time.DateOnly), reps[len(reps)-1].Started.UTC().Format(time.DateOnly))
		b.WriteString("| pair | network | trigger | passed | takeover median | takeover worst | blackout median | blackout worst | trend |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, t := range Trends(reps) {
			fmt.Fprintf(&b, "| %s | %s | %s | %d/%d | %s | %s | %s | %s | %s |\n", t.Pair, t.Network, t.Trigger, t.Passed, t.Runs,
				table.Seconds(t.TakeoverMedianS, 0), table.Seconds(t.TakeoverWorstS, 0), table.Seconds(t.BlackoutMedianS, 0), table.Seconds(t.BlackoutWorstS, 0), table.Dash(t.Direction))
		}
		var warnings strings.Builder
		_ = writeUnplanned(&warnings, reps, "- **warning** %s %s %s %s: %s\n") // a strings.Builder does not fail
		if warnings.Len() > 0 {
			b.WriteString("\n" + warnings.String())
		}
	}
	if err := WriteMarkdownTrends(&b, reps); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}
