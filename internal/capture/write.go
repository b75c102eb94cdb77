package capture

import (
	"encoding/binary"
	"time"
)

// AppendPcap appends pkts to dst as a classic pcap file (little-endian,
// nanosecond timestamps, Ethernet, snap length 65535), the format every
// capture tool reads. Packets longer than the snap length are written
// whole: nothing here captures, so nothing is cut.
func AppendPcap(dst []byte, pkts []Packet) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, 0xa1b23c4d)
	dst = le.AppendUint16(dst, 2) // version 2.4
	dst = le.AppendUint16(dst, 4)
	dst = append(dst, make([]byte, 8)...) // thiszone, sigfigs
	dst = le.AppendUint32(dst, 65535)
	dst = le.AppendUint32(dst, 1) // LINKTYPE_ETHERNET
	for _, p := range pkts {
		at := p.At
		if at.IsZero() {
			at = time.Unix(0, 0)
		}
		dst = le.AppendUint32(dst, uint32(at.Unix()))
		dst = le.AppendUint32(dst, uint32(at.Nanosecond()))
		dst = le.AppendUint32(dst, uint32(len(p.Data)))
		dst = le.AppendUint32(dst, uint32(len(p.Data)))
		dst = append(dst, p.Data...)
	}
	return dst
}
