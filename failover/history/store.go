package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/carpvm/carpvm/failover"
)

// File is the file in the history directory that holds one JSON
// failover.Report per line, oldest first.
const File = "history.jsonl"

// MaxLine is the longest history line read as a report: a report
// is a few KiB, so a longer line is damage, skipped without being held in
// memory.
const MaxLine = 1 << 20

// Append appends reps to dir's history, creating dir (0700). When
// the file does not end in a newline (a writer killed mid-line), the
// append starts on a new line, so that the torn line is the only loss.
func Append(dir string, reps []failover.Report) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("history: directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, File), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("history: open history: %w", err)
	}
	defer f.Close()
	var buf []byte
	torn, err := endsMidLine(f)
	if err != nil {
		return fmt.Errorf("history: read history: %w", err)
	}
	if torn {
		buf = append(buf, '\n')
	}
	for _, r := range reps {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("history: encode history: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	// One write: concurrent appenders (O_APPEND) do not interleave lines.
	if _, err := f.Write(buf); err != nil {
		return fmt.Errorf("history: write history: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("history: write history: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("history: write history: %w", err)
	}
	return nil
}

// endsMidLine says whether f is not empty and its last byte is not a
// newline.
func endsMidLine(f *os.File) (bool, error) {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false, err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], fi.Size()-1); err != nil {
		return false, err
	}
	return last[0] != '\n', nil
}

// History is what Read found: the reports, oldest first, and the
// lines it skipped (torn, not a report, or longer than MaxLine).
type History struct {
	Runs []failover.Report
	// Skipped counts the skipped lines; SkippedLines are the first
	// maxSkippedLines of their numbers (from 1).
	Skipped      int
	SkippedLines []int
}

const maxSkippedLines = 10

func (h *History) skip(line int) {
	h.Skipped++
	if len(h.SkippedLines) < maxSkippedLines {
		h.SkippedLines = append(h.SkippedLines, line)
	}
}

// SkippedNote says which lines were skipped, for stderr ("" when none).
func (h History) SkippedNote(dir string) string {
	if h.Skipped == 0 {
		return ""
	}
	nums := make([]string, len(h.SkippedLines))
	for i, n := range h.SkippedLines {
		nums[i] = strconv.Itoa(n)
	}
	more := ""
	if h.Skipped > len(h.SkippedLines) {
		more = ", ..."
	}
	return fmt.Sprintf("%d line(s) of %s skipped: not a drill report, torn, or longer than %d bytes (line %s%s)",
		h.Skipped, filepath.Join(dir, File), MaxLine, strings.Join(nums, ", "), more)
}

// Read reads dir's history. A missing history is empty; a line that
// is not a report is skipped and counted, never an error.
func Read(dir string) (History, error) {
	f, err := os.Open(filepath.Join(dir, File))
	if errors.Is(err, os.ErrNotExist) {
		return History{}, nil
	}
	if err != nil {
		return History{}, fmt.Errorf("history: open history: %w", err)
	}
	defer f.Close()
	h, err := parse(f)
	if err != nil {
		return History{}, fmt.Errorf("history: read %s: %w", f.Name(), err)
	}
	return h, nil
}

func parse(r io.Reader) (History, error) {
	var h History
	err := eachLine(r, MaxLine, func(line int, b []byte, tooLong bool) {
		if tooLong {
			h.skip(line)
			return
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return
		}
		var rep failover.Report
		if err := json.Unmarshal(b, &rep); err != nil {
			h.skip(line)
			return
		}
		h.Runs = append(h.Runs, rep)
	})
	return h, err
}

// eachLine calls fn with every line of r (without its newline), numbered
// from 1. A line longer than limit is passed as tooLong, without its bytes,
// and never held whole in memory.
func eachLine(r io.Reader, limit int, fn func(line int, b []byte, tooLong bool)) error {
	br := bufio.NewReaderSize(r, 64*1024)
	var cur []byte
	tooLong := false
	for line := 1; ; {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(cur)+len(chunk) > limit+1 { // +1: the newline
				tooLong, cur = true, cur[:0]
			} else {
				cur = append(cur, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return err
		}
		if len(chunk) > 0 || len(cur) > 0 || tooLong {
			fn(line, bytes.TrimSuffix(cur, []byte("\n")), tooLong)
			line++
		}
		if err != nil { // io.EOF
			return nil
		}
		cur, tooLong = cur[:0], false
	}
}
