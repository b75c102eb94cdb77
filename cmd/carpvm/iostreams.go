package main

import (
	"io"
	"os"

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
}

// SystemIO returns the process's own streams.
func SystemIO() IOStreams {
	return IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
	}
}
