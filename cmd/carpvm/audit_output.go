package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/carpvm/carpvm/audit"
	"github.com/carpvm/carpvm/internal/table"
)

// auditDrop is the order in which the audit table leaves columns out on a
// narrow terminal: the reason or fix first (the longest, and in -o json),
// then what the setting reaches.
var auditDrop = []string{"REASON / FIX", "REACHES"}

// writeAuditTable prints the exceptions, then a summary line.
func writeAuditTable(w io.Writer, t table.Terminal, rep audit.Report) error {
	rows := make([][]string, len(rep.Exceptions))
	for i, e := range rep.Exceptions {
		why := e.Reason
		if e.Fix != "" {
			why += "; fix: " + e.Fix
		}
		rows[i] = []string{string(e.Class), e.Object, e.Setting, e.Source, table.Dash(networkOf(e)), table.Dash(strings.Join(e.Reaches, ", ")), why}
	}
	if err := table.Write(w, t, table.Layout{Drop: auditDrop}, []string{"CLASS", "OBJECT", "SETTING", "SOURCE", "NETWORK", "REACHES", "REASON / FIX"}, rows); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s: %s\n", strings.Join(rep.Targets, ", "), summaryWords(rep.Summary))
	return err
}

// networkOf reads "routers/intranought": the pair and network that need it.
func networkOf(e audit.Exception) string {
	if e.Network == "" {
		return ""
	}
	return e.Pair + "/" + e.Network
}

func summaryWords(s audit.Summary) string {
	return fmt.Sprintf("%d justified, %d broader, %d unjustified", s.Justified, s.Broader, s.Unjustified)
}

// writeAuditMarkdown prints the report an auditor files: the scope, the
// date, the vCenters, each justified exception with its reason, and each
// finding to remediate.
func writeAuditMarkdown(w io.Writer, rep audit.Report, date string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# vSphere hardening exceptions for CARP\n\n")
	fmt.Fprintf(&b, "- Date: %s\n", date)
	fmt.Fprintf(&b, "- vCenter: %s\n", strings.Join(rep.Targets, ", "))
	fmt.Fprintf(&b, "- Pairs: %s\n", table.Dash(strings.Join(rep.Pairs, ", ")))
	b.WriteString("- Scope: the security policy (promiscuous mode, MAC address changes, forged transmits) of every standard vSwitch, portgroup, distributed switch and distributed portgroup of the vCenter; the baseline wants each Reject (vSphere Security Configuration Guide vNetwork.reject-*, DISA STIG ESXI-80-000216/217/218 and VCSA-80-000268/269/270)\n")
	fmt.Fprintf(&b, "- Result: %s\n", summaryWords(rep.Summary))
	var justified, remediate []audit.Exception
	for _, e := range rep.Exceptions {
		if e.Class == audit.Justified {
			justified = append(justified, e)
		} else {
			remediate = append(remediate, e)
		}
	}
	b.WriteString("\n## Justified exceptions\n\n")
	if len(justified) == 0 {
		b.WriteString("None.\n")
	}
	for _, e := range justified {
		fmt.Fprintf(&b, "- **%s**: %s %s (%s), departs from %s. Reaches %s. Reason: %s.\n",
			e.Object, e.Setting, e.Value, e.Source, strings.Join(e.Rules, ", "), table.Dash(strings.Join(e.Reaches, ", ")), e.Reason)
	}
	b.WriteString("\n## Findings to remediate\n\n")
	if len(remediate) == 0 {
		b.WriteString("None.\n")
	}
	for _, e := range remediate {
		fmt.Fprintf(&b, "- **%s** (%s): %s %s (%s), departs from %s. Reaches %s. %s. Fix: %s.\n",
			e.Object, e.Class, e.Setting, e.Value, e.Source, strings.Join(e.Rules, ", "), table.Dash(strings.Join(e.Reaches, ", ")), upperFirst(e.Reason), e.Fix)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
