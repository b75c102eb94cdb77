package main

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/internal/capture"
	"github.com/carpvm/carpvm/internal/syncbuf"
)

// vectorLink hands out the frames of the ucarp capture, then blocks until
// closed, as a quiet segment does.
type vectorLink struct {
	frames [][]byte
	closed chan struct{}
}

func (l *vectorLink) ReadFrame(b []byte) (int, error) {
	if len(l.frames) > 0 {
		n := copy(b, l.frames[0])
		l.frames = l.frames[1:]
		return n, nil
	}
	<-l.closed
	return 0, errors.New("closed")
}
func (l *vectorLink) WriteFrame([]byte) error        { return nil }
func (l *vectorLink) HardwareAddr() net.HardwareAddr { return nil }
func (l *vectorLink) Close() error                   { close(l.closed); return nil }

// TestWatchAnnouncesBeforeCtrlC: watch --interface says where it listens
// and prints each advert as it arrives on stderr (with --progress or a
// terminal there), long before the summary at Ctrl-C; without either,
// stderr stays quiet.
func TestWatchAnnouncesBeforeCtrlC(t *testing.T) {
	b, err := os.ReadFile(ucarpVector)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := capture.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, showProgress := range []bool{true, false} {
		link := &vectorLink{closed: make(chan struct{})}
		for _, p := range pkts {
			link.frames = append(link.frames, p.Data)
		}
		var errOut syncbuf.Buffer
		io := IOStreams{ErrOut: &errOut, Progress: showProgress}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan witness.Snapshot, 1)
		go func() {
			done <- watchLink(ctx, io, "ens224", link, witness.New(witness.Options{}), node.WatchOptions{})
		}()
		if showProgress {
			deadline := time.After(time.Minute) // a hang guard, not a timing assertion
			for !strings.Contains(errOut.String(), "vhid 1 from 172.27.27.12") {
				select {
				case <-deadline:
					t.Fatalf("no advert line before Ctrl-C:\n%s", errOut.String())
				case <-time.After(10 * time.Millisecond):
				}
			}
			if !strings.HasPrefix(errOut.String(), "listening on ens224") {
				t.Errorf("stderr does not start with where it listens:\n%s", errOut.String())
			}
		}
		cancel()
		<-done
		if !showProgress && errOut.String() != "" {
			t.Errorf("progress off, stderr not a terminal: stderr %q, want nothing", errOut.String())
		}
	}
}

var _ node.Link = (*vectorLink)(nil)
