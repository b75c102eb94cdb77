package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/carpvm/carpvm/internal/table"

	"golang.org/x/term"
)

// IOStreams carries the process's standard streams: data to Out, progress
// and diagnostics to ErrOut. Tests hand in buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and InTTY say whether Out and In are terminals: tables are
	// aligned for people there, and --fix only prompts on a terminal.
	OutTTY bool
	InTTY  bool
	// ErrTTY says whether ErrOut is a terminal; Progress is --progress.
	// Progress lines are written when either is set.
	ErrTTY   bool
	Progress bool
	// Width is the terminal's width in columns when Out is a terminal
	// (COLUMNS overrides it), 0 otherwise: tables are fitted to it.
	Width int
}

// Terminal is where tables written to Out go: a terminal or not, and its
// width. Every table is written for it, so that all fit the same way.
func (s IOStreams) Terminal() table.Terminal {
	return table.Terminal{TTY: s.OutTTY, Width: s.Width}
}

// SystemIO returns the process's own streams; getenv reads COLUMNS.
func SystemIO(getenv func(string) string) IOStreams {
	io := IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	if io.OutTTY {
		io.Width = terminalWidth(getenv, func() (int, error) {
			w, _, err := term.GetSize(int(os.Stdout.Fd()))
			return w, err
		})
	}
	return io
}

// progress writes a progress line (what carpvm is doing, for a person) to
// ErrOut when ErrOut is a terminal or --progress was given; never to Out,
// never through the logger.
func (s IOStreams) progress(format string, args ...any) {
	if s.ErrTTY || s.Progress {
		fmt.Fprintf(s.ErrOut, format+"\n", args...)
	}
}

// notice writes a line the user must see whatever the terminal (a
// warning, where a backup went, why nothing was applied) to ErrOut.
func (s IOStreams) notice(format string, args ...any) {
	fmt.Fprintf(s.ErrOut, format+"\n", args...)
}

// terminalWidth is the width tables are fitted to on a terminal: COLUMNS
// when it holds a positive number (as shells set it, and as a user sets
// it to try a width), else the terminal's own size, else 0 (unknown).
func terminalWidth(getenv func(string) string, size func() (int, error)) int {
	if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if w, err := size(); err == nil && w > 0 {
		return w
	}
	return 0
}
