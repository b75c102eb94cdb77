package failover

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/internal/groupby"
	"github.com/carpvm/carpvm/internal/table"
)

// WriteTable prints the reports as two tables, the figures then the
// phases, and a result line. On a terminal (t) they have borders and fit
// its width; otherwise the output is plain aligned columns, stable for scripts and golden files.
func WriteTable(w io.Writer, t table.Terminal, reps []Report) error {
	var rows [][]string
	for _, r := range reps {
		rows = append(rows, []string{
			r.Network, strconv.Itoa(r.VHID), r.Trigger, table.Dash(r.OldMaster) + " -> " + r.orNA("new_master", table.Dash(r.NewMaster)),
			r.orNA("takeover_s", table.Seconds(r.TakeoverS, r.MaxTakeoverS)), r.orNA("blackout_s", r.blackoutCell()), r.orNA("vip_mac_after", table.Dash(r.VIPMACAfter)),
			r.orNA("mac_relearned", yesNo(r.MACRelearned)), yesNo(r.Restored), table.PassFail(r.Pass),
		})
	}
	if err := table.Write(w, t, table.Layout{Whole: []string{"NETWORK", "TRIGGER"}}, []string{"NETWORK", "VHID", "TRIGGER", "MASTER", "TAKEOVER", "BLACKOUT", "VIP MAC", "RELEARNED", "RESTORED", "RESULT"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, r := range reps {
		for _, p := range r.Phases {
			rows = append(rows, []string{r.Network, p.Name, okFail(p.OK), table.Dash(p.Detail)})
		}
	}
	fmt.Fprintln(w)
	if err := table.Write(w, t, table.Layout{Whole: []string{"NETWORK", "PHASE"}}, []string{"NETWORK", "PHASE", "OK", "DETAIL"}, rows); err != nil {
		return err
	}
	for _, r := range reps {
		for _, f := range r.MACFlaps {
			fmt.Fprintf(w, "\nWARNING %s %s: %s", r.Network, witness.WarnMACFlap, f.Message())
		}
		for _, line := range r.UnplannedLines() {
			fmt.Fprintf(w, "\nWARNING %s %s: %s", r.Network, WarnUnplanned, line)
		}
	}
	if _, err := fmt.Fprintf(w, "\ndrill %s\n", table.PassFail(Passed(reps))); err != nil {
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

// blackoutCell is the blackout's table cell, with the probe rounds the
// witness could not send during it.
func (r *Report) blackoutCell() string {
	s := table.Seconds(r.BlackoutS, r.MaxBlackoutS)
	if r.ProbesUnsent > 0 {
		s += fmt.Sprintf(" (%d probes unsent)", r.ProbesUnsent)
	}
	return s
}

// orNA is s, or "n/a" when the field of JSON name field was not measured.
func (r *Report) orNA(field, s string) string {
	if !r.Measured(field) {
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
		fmt.Fprintf(&b, "# carpvm failover drill: %d pairs\n\nResult: **%s**.\n", len(byPair), table.PassFail(Passed(reps)))
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
		fmt.Fprintf(b, "Started %s, trigger `%s`. Result: **%s**.\n\n", reps[0].Started.UTC().Format("2006-01-02 15:04:05 MST"), reps[0].Trigger, table.PassFail(Passed(reps)))
	}
	b.WriteString("| network | vhid | old master | new master | takeover | blackout | VIP MAC after | relearned | restored | result |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range reps {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Network, r.VHID, table.Dash(r.OldMaster), r.orNA("new_master", table.Dash(r.NewMaster)),
			r.orNA("takeover_s", table.Seconds(r.TakeoverS, r.MaxTakeoverS)), r.orNA("blackout_s", r.blackoutCell()), r.orNA("vip_mac_after", table.Dash(r.VIPMACAfter)),
			r.orNA("mac_relearned", yesNo(r.MACRelearned)), yesNo(r.Restored), table.PassFail(r.Pass))
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
		fmt.Fprintf(b, "- client blackout (last good reply to first good reply): %.3f s%s (objective %.3f s)\n", r.BlackoutS, r.unsentNote(), r.MaxBlackoutS)
		if r.StunS > 0 {
			fmt.Fprintf(b, "- stun: %.3f s\n", r.StunS)
		}
		if r.SplitBrainS != nil {
			fmt.Fprintf(b, "- split brain (both routers advertising): %.3f s\n", *r.SplitBrainS)
		}
		if r.ReturnBlackoutS != nil {
			fmt.Fprintf(b, "- client blackout after the stunned master returned: %.3f s (one master left: %s)\n", *r.ReturnBlackoutS, table.Dash(r.Survivor))
		}
		fmt.Fprintf(b, "- gratuitous ARPs seen: %d\n", r.GARPs)
		for _, f := range r.MACFlaps {
			fmt.Fprintf(b, "- **warning** %s: %s\n", witness.WarnMACFlap, f.Message())
		}
		for _, line := range r.UnplannedLines() {
			fmt.Fprintf(b, "- **warning** %s: %s\n", WarnUnplanned, line)
		}
		b.WriteString("\n")
		writeMarkdownPhases(b, r)
	}
}

// WarnUnplanned marks a transition during a drill that was not the
// drill's own, with its causes.
const WarnUnplanned = "unplanned_transition"

// UnplannedLines describe each unplanned transition of r with its causes
// and advice: "router-003 BACKUP->MASTER at 02:14:03.250Z (first advert
// heard from it); causes: snapshot ... -3.2s; advice: ...".
func (r *Report) UnplannedLines() []string {
	var out []string
	for _, x := range r.Unplanned() {
		line := fmt.Sprintf("vhid %d %s %s->%s at %s (%s); causes: %s", x.VHID, x.Router, x.From, x.To,
			x.Time.UTC().Format("15:04:05.000Z"), table.Dash(x.Reason), explain.CausesText(x.Causes))
		for _, a := range x.Advice {
			line += "; advice: " + a
		}
		out = append(out, line)
	}
	return out
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

func writeMarkdownPhases(b *strings.Builder, r Report) {
	b.WriteString("| phase | ok | detail |\n|---|---|---|\n")
	for _, p := range r.Phases {
		fmt.Fprintf(b, "| %s | %s | %s |\n", p.Name, okFail(p.OK), strings.ReplaceAll(table.Dash(p.Detail), "|", `\|`))
	}
}
