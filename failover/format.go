package failover

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/internal/groupby"
	"github.com/carpvm/carpvm/internal/table"
)

// WriteTable prints the reports as two tables, the figures then the
// phases, and a result line. tty draws borders for people; otherwise the
// output is plain aligned columns, stable for scripts and golden files.
func WriteTable(w io.Writer, tty bool, reps []Report) error {
	var rows [][]string
	for _, r := range reps {
		rows = append(rows, []string{
			r.Network, strconv.Itoa(r.VHID), r.Trigger, dash(r.OldMaster) + " -> " + r.orNA("new_master", dash(r.NewMaster)),
			r.orNA("takeover_s", secs(r.TakeoverS, r.MaxTakeoverS)), r.orNA("blackout_s", secs(r.BlackoutS, r.MaxBlackoutS)), r.orNA("vip_mac_after", dash(r.VIPMACAfter)),
			r.orNA("mac_relearned", yesNo(r.MACRelearned)), yesNo(r.Restored), passFail(r.Pass),
		})
	}
	if err := table.Write(w, tty, []string{"NETWORK", "VHID", "TRIGGER", "MASTER", "TAKEOVER", "BLACKOUT", "VIP MAC", "RELEARNED", "RESTORED", "RESULT"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, r := range reps {
		for _, p := range r.Phases {
			rows = append(rows, []string{r.Network, p.Name, okFail(p.OK), dash(p.Detail)})
		}
	}
	fmt.Fprintln(w)
	if err := table.Write(w, tty, []string{"NETWORK", "PHASE", "OK", "DETAIL"}, rows); err != nil {
		return err
	}
	for _, r := range reps {
		for _, f := range r.MACFlaps {
			fmt.Fprintf(w, "\nWARNING %s %s: %s", r.Network, witness.WarnMACFlap, f.Message())
		}
	}
	if _, err := fmt.Fprintf(w, "\ndrill %s\n", passFail(Passed(reps))); err != nil {
		return err
	}
	return writeNotices(w, reps)
}

// writeNotices prints each distinct notice of the reports (what was not
// measured, and why), as "note: ..." lines.
func writeNotices(w io.Writer, reps []Report) error {
	var seen []string
	for _, r := range reps {
		if r.Notice == "" || slices.Contains(seen, r.Notice) {
			continue
		}
		seen = append(seen, r.Notice)
		if _, err := fmt.Fprintf(w, "note: %s (n/a: %s)\n", r.Notice, strings.Join(r.Unavailable, ", ")); err != nil {
			return err
		}
	}
	return nil
}

// orNA is s, or "n/a" when the field of JSON name field was not measured.
func (r *Report) orNA(field, s string) string {
	if !r.measured(field) {
		return "n/a"
	}
	return s
}

// WriteMarkdown writes the report file of a drill: a summary table, then
// each network's figures and phases; a fleet's drill (reports of several
// pairs) has a section of that form per pair, in the order drilled.
func WriteMarkdown(w io.Writer, reps []Report) error {
	var b strings.Builder
	byPair := groupby.Ordered(reps, func(r Report) string { return r.Pair })
	if len(byPair) <= 1 {
		writePairMarkdown(&b, reps, "#")
	} else {
		fmt.Fprintf(&b, "# carpvm failover drill: %d pairs\n\nResult: **%s**.\n", len(byPair), passFail(Passed(reps)))
		for _, pair := range byPair {
			b.WriteString("\n")
			writePairMarkdown(&b, pair, "##")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePairMarkdown writes one pair's drill under a heading of level h
// ("#"), its networks one level below.
func writePairMarkdown(b *strings.Builder, reps []Report, h string) {
	title := "carpvm failover drill"
	if len(reps) > 0 {
		title += ": " + reps[0].Pair + " (" + reps[0].Target + ")"
	}
	fmt.Fprintf(b, "%s %s\n\n", h, title)
	if len(reps) > 0 {
		fmt.Fprintf(b, "Started %s, trigger `%s`. Result: **%s**.\n\n", reps[0].Started.UTC().Format("2006-01-02 15:04:05 MST"), reps[0].Trigger, passFail(Passed(reps)))
	}
	b.WriteString("| network | vhid | old master | new master | takeover | blackout | VIP MAC after | relearned | restored | result |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range reps {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Network, r.VHID, dash(r.OldMaster), r.orNA("new_master", dash(r.NewMaster)),
			r.orNA("takeover_s", secs(r.TakeoverS, r.MaxTakeoverS)), r.orNA("blackout_s", secs(r.BlackoutS, r.MaxBlackoutS)), r.orNA("vip_mac_after", dash(r.VIPMACAfter)),
			r.orNA("mac_relearned", yesNo(r.MACRelearned)), yesNo(r.Restored), passFail(r.Pass))
	}
	_ = writeNotices(b, reps) // a strings.Builder does not fail
	for _, r := range reps {
		fmt.Fprintf(b, "\n%s# %s (vhid %d)\n\n", h, r.Network, r.VHID)
		if r.Notice != "" {
			fmt.Fprintf(b, "Not measured: %s.\n\n", r.Notice)
			writeMarkdownPhases(b, r)
			continue
		}
		what := "last advert of the old master to first advert of the new"
		if r.SplitBrainS != nil {
			what = "partition to the backup's first advert as master"
		}
		fmt.Fprintf(b, "- takeover (%s): %.3f s (objective %.3f s; theoretical master-down %.3f s)\n", what, r.TakeoverS, r.MaxTakeoverS, r.MasterDownS)
		fmt.Fprintf(b, "- trigger to new master: %.3f s\n", r.TriggerToMasterS)
		fmt.Fprintf(b, "- client blackout (last good reply to first good reply): %.3f s (objective %.3f s)\n", r.BlackoutS, r.MaxBlackoutS)
		if r.StunS > 0 {
			fmt.Fprintf(b, "- stun: %.3f s\n", r.StunS)
		}
		if r.SplitBrainS != nil {
			fmt.Fprintf(b, "- split brain (both routers advertising): %.3f s\n", *r.SplitBrainS)
		}
		if r.ReturnBlackoutS != nil {
			fmt.Fprintf(b, "- client blackout after the stunned master returned: %.3f s (one master left: %s)\n", *r.ReturnBlackoutS, dash(r.Survivor))
		}
		fmt.Fprintf(b, "- gratuitous ARPs seen: %d\n", r.GARPs)
		for _, f := range r.MACFlaps {
			fmt.Fprintf(b, "- **warning** %s: %s\n", witness.WarnMACFlap, f.Message())
		}
		b.WriteString("\n")
		writeMarkdownPhases(b, r)
	}
}

func secs(v, max float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64) + "s"
	if max > 0 && v > max {
		s += " (> " + strconv.FormatFloat(max, 'f', 3, 64) + "s)"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func okFail(b bool) string {
	if b {
		return "ok"
	}
	return "FAIL"
}

func passFail(b bool) string {
	if b {
		return "PASS"
	}
	return "FAIL"
}

func writeMarkdownPhases(b *strings.Builder, r Report) {
	b.WriteString("| phase | ok | detail |\n|---|---|---|\n")
	for _, p := range r.Phases {
		fmt.Fprintf(b, "| %s | %s | %s |\n", p.Name, okFail(p.OK), strings.ReplaceAll(dash(p.Detail), "|", `\|`))
	}
}

// WriteMarkdownTrends writes a "Trend" section with a chart of the
// takeover and the blackout over time (TrendChartSVG, inline) for each
// pair, network and trigger of history, oldest first. It writes nothing
// when no run measured them.
func WriteMarkdownTrends(w io.Writer, history []Report) error {
	var b strings.Builder
	for _, t := range Trends(history) {
		var runs []Report
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
			secs(t.TakeoverMedianS, 0), secs(t.BlackoutMedianS, 0), secs(t.BlackoutWorstS, 0))
		b.Write(svg)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHistoryMarkdown writes the Markdown report of a history (of one
// pair when pair is not ""): the trend of each pair, network and trigger
// as a table, then their charts (WriteMarkdownTrends).
func WriteHistoryMarkdown(w io.Writer, reps []Report, pair string) error {
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
				secs(t.TakeoverMedianS, 0), secs(t.TakeoverWorstS, 0), secs(t.BlackoutMedianS, 0), secs(t.BlackoutWorstS, 0), dash(t.Direction))
		}
	}
	if err := WriteMarkdownTrends(&b, reps); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}
