package transition

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Writer appends transition lines to w, one Write call per line, so that
// writers sharing an O_APPEND file never interleave within a line.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter writes lines to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write appends t.
func (w *Writer) Write(t Transition) error {
	b, err := Marshal(t)
	if err != nil {
		return fmt.Errorf("transition: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("transition: write: %w", err)
	}
	return nil
}

// OpenFile opens path for appending transition lines (created 0644 when
// missing): the node's transition_log and watch --transitions.
func OpenFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("transition log: %w", err)
	}
	return f, nil
}
