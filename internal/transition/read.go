package transition

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the longest line Read accepts; a longer one is an error (and
// skipped), so that a file that is not a transition log cannot exhaust
// memory.
const MaxLine = 64 << 10

// LineError is a malformed line: its file (or "-" for stdin) and number.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Read reads every transition of r, named file in errors. Blank lines and
// lines starting with '#' are skipped. A malformed line becomes a
// *LineError in errs and the rest is still read; err is a read error that
// stopped it.
func Read(r io.Reader, file string) (ts []Transition, errs []error, err error) {
	br := bufio.NewReaderSize(r, 4096)
	for n := 1; ; n++ {
		b, tooLong, rerr := readLine(br)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return ts, errs, fmt.Errorf("read %s: %w", file, rerr)
		}
		switch t := bytes.TrimSpace(b); {
		case tooLong:
			errs = append(errs, &LineError{File: file, Line: n, Err: fmt.Errorf("line longer than %d bytes", MaxLine)})
		case len(t) == 0 || t[0] == '#':
		default:
			tr, perr := Parse(t)
			if perr != nil {
				errs = append(errs, &LineError{File: file, Line: n, Err: perr})
			} else {
				ts = append(ts, tr)
			}
		}
		if rerr != nil {
			return ts, errs, nil
		}
	}
}

// readLine reads one line, keeping at most MaxLine bytes of it; tooLong
// says the rest was dropped.
func readLine(br *bufio.Reader) (b []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) > MaxLine {
			tooLong = true
		} else {
			b = append(b, chunk...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if tooLong {
				b = nil
			}
			return b, tooLong, err
		}
	}
}
