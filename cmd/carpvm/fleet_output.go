package main

import (
	"fmt"
	"io"
	"strings"
)

// fleetOutput is the one printer of a fleet's table (preflight, --fix and
// drill without --pair): a "== pair NAME ==" section per pair, what
// stopped a pair, and the tally; and the one rule for the command's exit,
// the highest of its pairs' codes (the exit codes' order ranks "could not
// run" above "a check failed"; architecture: Exit codes).
type fleetOutput struct {
	w        io.Writer // nil with -o json: nothing is printed
	sections int
	worst    int
	failed   []string // "NAME (exit N)" of each pair that did not exit 0
}

// newFleetOutput prints to w unless json.
func newFleetOutput(w io.Writer, json bool) *fleetOutput {
	if json {
		return &fleetOutput{}
	}
	return &fleetOutput{w: w}
}

// section starts pair's section of the table.
func (f *fleetOutput) section(pair string) {
	if f.w == nil {
		return
	}
	if f.sections > 0 {
		fmt.Fprintln(f.w)
	}
	f.sections++
	fmt.Fprintf(f.w, "== pair %s ==\n", pair)
}

// outcome records pair's end, err being what that command on the pair
// alone would have returned: its exit code (exitCodeOf), and the message
// printed in the section ("" when there is none to print).
func (f *fleetOutput) outcome(pair string, err error) (code int, message string) {
	code, printable := exitCodeOf(err)
	f.worst = max(f.worst, code)
	if code != exitOK {
		f.failed = append(f.failed, fmt.Sprintf("%s (exit %d)", pair, code))
	}
	if !printable {
		return code, ""
	}
	if f.w != nil {
		fmt.Fprintf(f.w, "error (exit %d): %v\n", code, err)
	}
	return code, err.Error()
}

// tally ends the table: "fleet: 2/3 pair(s) passed; failed: paris (exit
// 1)", with the words for the pairs that exited 0 and for the others.
func (f *fleetOutput) tally(pairs int, passed, others string) {
	if f.w == nil {
		return
	}
	fmt.Fprintf(f.w, "\nfleet: %d/%d pair(s) %s", pairs-len(f.failed), pairs, passed)
	if len(f.failed) > 0 {
		fmt.Fprintf(f.w, "; %s: %s", others, strings.Join(f.failed, ", "))
	}
	fmt.Fprintln(f.w)
}

// exit is the command's exit: the worst pair's code, everything already
// printed.
func (f *fleetOutput) exit() error {
	if f.worst != exitOK {
		return silentExit(f.worst)
	}
	return nil
}
