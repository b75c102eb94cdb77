package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"time"
)

// Packet is one Ethernet frame of a capture and when it was captured.
type Packet struct {
	At   time.Time
	Data []byte
}

// ErrTruncated says a capture ends in the middle of a record, as one cut
// short by a killed tcpdump does: Parse returns the packets before it with
// an error wrapping ErrTruncated.
var ErrTruncated = errors.New("capture cut short in the middle of a record")

// Parse decodes a pcapng or pcap capture; Data slices alias b.
func Parse(b []byte) ([]Packet, error) {
	if len(b) >= 4 && binary.LittleEndian.Uint32(b) == 0x0a0d0d0a {
		return parsePcapng(b)
	}
	return parsePcap(b)
}

func parsePcapng(b []byte) ([]Packet, error) {
	var (
		bo      binary.ByteOrder = binary.LittleEndian
		resol   []tsres          // per interface
		pkts    []Packet
		linkEth = map[int]bool{}
		off     int
	)
	for off+12 <= len(b) {
		typ := bo.Uint32(b[off:])
		if typ == 0x0a0d0d0a { // byte order from the section header's magic
			if binary.BigEndian.Uint32(b[off+8:]) == 0x1a2b3c4d {
				bo = binary.BigEndian
			} else {
				bo = binary.LittleEndian
			}
		}
		blen := int(bo.Uint32(b[off+4:]))
		if blen < 12 || blen%4 != 0 {
			return nil, fmt.Errorf("pcapng: bad block length %d at %d", blen, off)
		}
		if off+blen > len(b) {
			return pkts, fmt.Errorf("pcapng: block of %d bytes at %d: %w", blen, off, ErrTruncated)
		}
		body := b[off+8 : off+blen-4]
		switch typ {
		case 1: // interface description
			if len(body) < 8 {
				return nil, fmt.Errorf("pcapng: short interface block")
			}
			res := tsres{pow10: true, exp: 6}
			for o := 8; o+4 <= len(body); {
				code, l := bo.Uint16(body[o:]), int(bo.Uint16(body[o+2:]))
				if code == 0 || o+4+l > len(body) {
					break
				}
				if code == 9 && l >= 1 { // if_tsresol
					v := body[o+4]
					res = tsres{pow10: v&0x80 == 0, exp: uint(v & 0x7f)}
				}
				o += 4 + (l+3)&^3
			}
			linkEth[len(resol)] = bo.Uint16(body) == 1
			resol = append(resol, res)
		case 6: // enhanced packet
			if len(body) < 20 {
				return nil, fmt.Errorf("pcapng: short packet block")
			}
			ifc := int(bo.Uint32(body))
			if ifc >= len(resol) {
				return nil, fmt.Errorf("pcapng: packet on unknown interface %d", ifc)
			}
			ticks := uint64(bo.Uint32(body[4:]))<<32 | uint64(bo.Uint32(body[8:]))
			caplen := int(bo.Uint32(body[12:]))
			if 20+caplen > len(body) {
				return nil, fmt.Errorf("pcapng: packet of %d bytes overruns its block", caplen)
			}
			if linkEth[ifc] {
				at := time.Unix(0, resol[ifc].nanos(ticks)).UTC()
				pkts = append(pkts, Packet{At: at, Data: body[20 : 20+caplen]})
			}
		}
		off += blen
	}
	if off < len(b) {
		return pkts, fmt.Errorf("pcapng: %d bytes at %d: %w", len(b)-off, off, ErrTruncated)
	}
	return pkts, nil
}

// tsres is a pcapng timestamp resolution: 10^-exp or 2^-exp seconds.
type tsres struct {
	pow10 bool
	exp   uint
}

// nanos converts ticks to nanoseconds exactly (no float rounding).
func (r tsres) nanos(ticks uint64) int64 {
	if r.pow10 {
		if r.exp <= 9 {
			return int64(ticks * pow10(9-r.exp))
		}
		if r.exp-9 > 19 { // 10^20 exceeds any uint64 tick count (and overflows)
			return 0
		}
		return int64(ticks / pow10(r.exp-9))
	}
	hi, lo := bits.Mul64(ticks, 1e9)
	if r.exp >= 64 {
		return int64(hi >> (r.exp - 64))
	}
	return int64(hi<<(64-r.exp) | lo>>r.exp)
}

func pow10(n uint) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

func parsePcap(b []byte) ([]Packet, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("pcap: %d bytes, shorter than the global header", len(b))
	}
	var bo binary.ByteOrder
	nano := false
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xa1b23c4d:
		bo, nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		bo = binary.BigEndian
	case 0x4d3cb2a1:
		bo, nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("pcap: unknown magic %x", b[:4])
	}
	if lt := bo.Uint32(b[20:]); lt != 1 {
		return nil, fmt.Errorf("pcap: link type %d, want Ethernet (1): capture on one Ethernet interface (tcpdump -i IFACE, not -i any)", lt)
	}
	var pkts []Packet
	off := 24
	for off+16 <= len(b) {
		sec, frac := int64(bo.Uint32(b[off:])), int64(bo.Uint32(b[off+4:]))
		caplen := int(bo.Uint32(b[off+8:]))
		if off+16+caplen > len(b) {
			return pkts, fmt.Errorf("pcap: record of %d bytes at %d overruns the file: %w", caplen, off, ErrTruncated)
		}
		if !nano {
			frac *= 1000
		}
		pkts = append(pkts, Packet{At: time.Unix(sec, frac).UTC(), Data: b[off+16 : off+16+caplen]})
		off += 16 + caplen
	}
	if off < len(b) {
		return pkts, fmt.Errorf("pcap: %d bytes at %d: %w", len(b)-off, off, ErrTruncated)
	}
	return pkts, nil
}
