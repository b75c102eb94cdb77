package node

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The receive ring (PACKET_MMAP, TPACKET_V3) of a PacketLink: the kernel
// writes frames into blocks of memory shared with the process and hands a
// block over when it is full or ringTimeout has passed since its first
// frame, so that a flood costs one wake-up per block instead of one
// syscall and one goroutine hand-off per frame.
const (
	// ringBlockSize holds about 200 adverts (each takes its 48-byte
	// tpacket3_hdr, alignment and the frame).
	ringBlockSize = 32 << 10
	// ringBlocks is 1,600 adverts, 16 ms of a 100,000/s flood, of slack
	// for a reader the scheduler holds back; the ring is mapped whole
	// (256 KiB resident).
	ringBlocks = 8
	// ringFrameSize bounds one frame (the snap length).
	ringFrameSize = maxFrameLen
	// ringTimeout (milliseconds) is the longest a frame waits in a block
	// that is not full: the extra latency of an advert.
	ringTimeout = 1
)

// Offsets in a block (struct tpacket_block_desc: version, offset_to_priv,
// then struct tpacket_hdr_v1).
const (
	offBlockStatus = 8
	offBlockPkts   = 12
	offBlockFirst  = 16
)

// rxRing is the mapped ring and the reader's place in it. One reader at
// a time (the socket's read lock) reads it between enter and leave; close
// unmaps it, or leaves that to leave when a reader is in.
type rxRing struct {
	mu      sync.Mutex
	reading bool
	closed  bool
	mem     []byte // nil once unmapped
	block   int    // the block being read
	left    uint32 // frames of it not yet read (0: not open)
	offset  uint32 // of the next frame in it
	// vlanBuf holds a frame with its 802.1Q tag put back.
	vlanBuf [ringFrameSize + 4]byte
}

// setupRing switches fd to TPACKET_V3 and maps its receive ring.
func setupRing(fd int) (*rxRing, error) {
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return nil, fmt.Errorf("TPACKET_V3: %w", err)
	}
	req := unix.TpacketReq3{
		Block_size:     ringBlockSize,
		Block_nr:       ringBlocks,
		Frame_size:     ringFrameSize,
		Frame_nr:       ringBlockSize / ringFrameSize * ringBlocks,
		Retire_blk_tov: ringTimeout,
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, fmt.Errorf("PACKET_RX_RING: %w", err)
	}
	mem, err := unix.Mmap(fd, 0, ringBlockSize*ringBlocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap the receive ring: %w", err)
	}
	return &rxRing{mem: mem}, nil
}

// status is the word the kernel and the reader hand a block over with.
func (r *rxRing) status(block int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[block*ringBlockSize+offBlockStatus]))
}

// next returns the next frame the kernel has handed over (with its 802.1Q
// tag put back if the kernel took one out) and when it arrived, or false
// when there is none yet. The frame is valid until the following call. A
// block read to the end goes back to the kernel at that following call.
func (r *rxRing) next() ([]byte, time.Time, bool) {
	for {
		if r.left == 0 && r.offset != 0 {
			// The open block is read: hand it back, go on to the next.
			atomic.StoreUint32(r.status(r.block), unix.TP_STATUS_KERNEL)
			r.block = (r.block + 1) % ringBlocks
			r.offset = 0
		}
		if r.left == 0 {
			if atomic.LoadUint32(r.status(r.block))&unix.TP_STATUS_USER == 0 {
				return nil, time.Time{}, false
			}
			b := r.mem[r.block*ringBlockSize:]
			r.left = binary.NativeEndian.Uint32(b[offBlockPkts:])
			r.offset = binary.NativeEndian.Uint32(b[offBlockFirst:])
			if r.left == 0 { // cannot happen: the kernel hands over no empty block
				r.offset = max(r.offset, 1)
				continue
			}
		}
		base := r.block*ringBlockSize + int(r.offset)
		h := (*unix.Tpacket3Hdr)(unsafe.Pointer(&r.mem[base]))
		start := base + int(h.Mac)
		frame := r.mem[start : start+int(h.Snaplen)]
		arrived := time.Unix(int64(h.Sec), int64(h.Nsec))
		r.left--
		r.offset += h.Next_offset
		if h.Status&unix.TP_STATUS_VLAN_VALID != 0 {
			tpid := h.Hv1.Vlan_tpid
			if h.Status&unix.TP_STATUS_VLAN_TPID_VALID == 0 || tpid == 0 {
				tpid = 0x8100
			}
			n := copy(r.vlanBuf[:], frame)
			frame = r.vlanBuf[:insertVLANTag(r.vlanBuf[:], n, tpid, uint16(h.Hv1.Vlan_tci))]
		}
		return frame, arrived, true
	}
}

// enter starts reading; false once the ring is closed.
func (r *rxRing) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reading = !r.closed
	return r.reading
}

// leave ends reading, unmapping the ring if it was closed meanwhile.
func (r *rxRing) leave() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reading = false
	if r.closed {
		r.unmap()
	}
}

// close unmaps the ring, at once or when its reader leaves.
func (r *rxRing) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if !r.reading {
		r.unmap()
	}
}

func (r *rxRing) unmap() {
	if r.mem != nil {
		unix.Munmap(r.mem)
		r.mem = nil
	}
}
