package node

import (
	"time"

	"github.com/carpvm/carpvm/carp"
)

// A reader hands frames to the loop in batches it takes from, and the loop
// gives back to, a small free list of its own: no allocation per frame,
// and one channel hand-off per batch.
const (
	// rxBatches is how many batches a reader owns (and the depth of the
	// loop's queue): when all are queued, the reader waits and frames
	// wait in the socket.
	rxBatches = 4
	// rxBatchFrames and rxBatchBytes bound a batch: its frames and the
	// payloads copied out of them (an advert's is 36 bytes).
	rxBatchFrames = 128
	rxBatchBytes  = 8 << 10
	// maxFrameLen bounds a frame read (the snap length): an advert is
	// under 128 bytes, a tagged one of the largest MTU under 1,600. A
	// batch holds at least one.
	maxFrameLen = 2048
)

// batchReader is a Link that hands over every frame queued at once
// (PacketLink.ReadBatch).
type batchReader interface {
	ReadBatch(fn func(frame []byte, arrived time.Time)) error
}

// droppedCounter is a Link that counts the frames the kernel dropped for
// want of room (PacketLink.Dropped).
type droppedCounter interface {
	Dropped() (uint64, error)
}

// readBatch reads what link has queued into add: a batch when link can,
// one frame otherwise.
func readBatch(link Link, add func(frame []byte, arrived time.Time)) error {
	if br, ok := link.(batchReader); ok {
		return br.ReadBatch(add)
	}
	var buf [maxFrameLen]byte
	n, err := link.ReadFrame(buf[:])
	if err == nil {
		add(buf[:n], time.Time{})
	}
	return err
}

// rxFrame is a parsed frame (or why it could not be), its link, and when
// it arrived (zero: unknown).
type rxFrame struct {
	link    *ifLink
	frame   carp.Frame
	err     error
	arrived time.Time
}

// maxRxAge bounds how far back a frame's arrival time moves the time it
// is judged at: beyond it (a wall clock that jumped), the frame is judged
// as of now.
const maxRxAge = 100 * time.Millisecond

// judgedAt is when a frame is taken to have come: its arrival, seen from
// now on the node's clock (wall is the wall clock's now, as the kernel
// stamps arrivals), so that the time it waited in the ring and the queue
// does not delay the master-down timer it restarts.
func (rf rxFrame) judgedAt(now, wall time.Time) time.Time {
	if rf.arrived.IsZero() {
		return now
	}
	if age := wall.Sub(rf.arrived); age > 0 && age < maxRxAge {
		return now.Add(-age)
	}
	return now
}

// rxBatch is frames parsed by a reader, their payloads copied into its
// own memory (the loop keeps nothing else of a frame).
type rxBatch struct {
	frames   []rxFrame
	payloads []byte
	home     chan *rxBatch
}

// newRxBatches returns a reader's free list, full.
func newRxBatches() chan *rxBatch {
	free := make(chan *rxBatch, rxBatches)
	for range rxBatches {
		free <- &rxBatch{
			frames:   make([]rxFrame, 0, rxBatchFrames),
			payloads: make([]byte, 0, rxBatchBytes),
			home:     free,
		}
	}
	return free
}

// add parses frame into the batch; false (and nothing added) when the
// batch is full.
func (b *rxBatch) add(l *ifLink, frame []byte, arrived time.Time) bool {
	if len(b.frames) == cap(b.frames) {
		return false
	}
	f, err := carp.ParseFrame(frame)
	if err != nil {
		f = carp.Frame{} // nothing that points into the link's memory
	} else {
		if len(f.Payload) > cap(b.payloads)-len(b.payloads) {
			return false // an empty batch has room for any (maxFrameLen)
		}
		at := len(b.payloads)
		b.payloads = append(b.payloads, f.Payload...)
		f.Payload = b.payloads[at:len(b.payloads):len(b.payloads)]
		f.SrcMAC, f.DstMAC = nil, nil
	}
	b.frames = append(b.frames, rxFrame{link: l, frame: f, err: err, arrived: arrived})
	return true
}

// release empties the batch and gives it back to its reader.
func (b *rxBatch) release() {
	clear(b.frames) // drop the links and errors
	b.frames, b.payloads = b.frames[:0], b.payloads[:0]
	b.home <- b
}
