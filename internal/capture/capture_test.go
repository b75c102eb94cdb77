package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pcapFile builds a classic pcap: magic in bo, link type, then records of
// (seconds, fraction, data).
func pcapFile(bo binary.AppendByteOrder, magic uint32, link uint32, recs ...record) []byte {
	var b []byte
	b = bo.AppendUint32(b, magic)
	b = bo.AppendUint16(b, 2)
	b = bo.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...) // thiszone, sigfigs
	b = bo.AppendUint32(b, 65535)
	b = bo.AppendUint32(b, link)
	for _, r := range recs {
		b = bo.AppendUint32(b, r.sec)
		b = bo.AppendUint32(b, r.frac)
		b = bo.AppendUint32(b, uint32(len(r.data)))
		b = bo.AppendUint32(b, uint32(len(r.data)))
		b = append(b, r.data...)
	}
	return b
}

type record struct {
	sec, frac uint32
	data      []byte
}

func TestParsePcap(t *testing.T) {
	frames := []record{{1764158400, 250000, []byte{1, 2, 3}}, {1764158401, 5, []byte{4, 5}}}
	tests := []struct {
		name  string
		file  []byte
		nanos []int64 // expected fractions in ns
	}{
		{"little endian, microseconds", pcapFile(binary.LittleEndian, 0xa1b2c3d4, 1, frames...), []int64{250000000, 5000}},
		{"big endian, microseconds", pcapFile(binary.BigEndian, 0xa1b2c3d4, 1, frames...), []int64{250000000, 5000}},
		{"little endian, nanoseconds", pcapFile(binary.LittleEndian, 0xa1b23c4d, 1, frames...), []int64{250000, 5}},
		{"big endian, nanoseconds", pcapFile(binary.BigEndian, 0xa1b23c4d, 1, frames...), []int64{250000, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, err := Parse(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			want := []Packet{
				{At: time.Unix(1764158400, tt.nanos[0]).UTC(), Data: []byte{1, 2, 3}},
				{At: time.Unix(1764158401, tt.nanos[1]).UTC(), Data: []byte{4, 5}},
			}
			if diff := cmp.Diff(want, pkts); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
		})
	}
}

// pcapngBlock is one block: type, total length, body padded to 4, length.
func pcapngBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, n)
}

func TestParsePcapng(t *testing.T) {
	le := binary.LittleEndian
	shb := pcapngBlock(0x0a0d0d0a, le.AppendUint64(le.AppendUint32(le.AppendUint32(nil, 0x1a2b3c4d), 1), ^uint64(0)))
	// Interface 0: Ethernet, nanosecond timestamps (if_tsresol 9).
	idb0 := le.AppendUint16(nil, 1)
	idb0 = append(idb0, 0, 0)
	idb0 = le.AppendUint32(idb0, 0)
	idb0 = le.AppendUint16(le.AppendUint16(idb0, 9), 1)
	idb0 = append(idb0, 9, 0, 0, 0)
	idb0 = append(idb0, 0, 0, 0, 0) // opt_endofopt
	// Interface 1: Linux cooked capture, skipped.
	idb1 := le.AppendUint32(le.AppendUint16(le.AppendUint16(nil, 113), 0), 0)
	epb := func(ifc uint32, ticks uint64, data []byte) []byte {
		b := le.AppendUint32(nil, ifc)
		b = le.AppendUint32(b, uint32(ticks>>32))
		b = le.AppendUint32(b, uint32(ticks))
		b = le.AppendUint32(b, uint32(len(data)))
		b = le.AppendUint32(b, uint32(len(data)))
		return pcapngBlock(6, append(b, data...))
	}
	at := time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC)
	file := bytes.Join([][]byte{shb, pcapngBlock(1, idb0), pcapngBlock(1, idb1),
		epb(0, uint64(at.UnixNano()), []byte{0xaa, 0xbb, 0xcc}), epb(1, 1, []byte{9})}, nil)
	pkts, err := Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	want := []Packet{{At: at, Data: []byte{0xaa, 0xbb, 0xcc}}}
	if diff := cmp.Diff(want, pkts); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "shorter than the global header"},
		{"not a capture", []byte(strings.Repeat("hello, world ", 3)), "unknown magic"},
		{"cooked capture", pcapFile(binary.LittleEndian, 0xa1b2c3d4, 113), "link type 113, want Ethernet (1)"},
		{"bad pcapng block length", binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 0x0a0d0d0a), 13), 0), "bad block length 13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// A capture cut short keeps the packets before the cut, with ErrTruncated.
func TestParseTruncated(t *testing.T) {
	two := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 1, record{1, 0, []byte{1, 2, 3, 4}}, record{2, 0, []byte{5, 6, 7, 8}})
	for _, cut := range []int{1, 4, 19} { // inside the last packet, inside its header
		pkts, err := Parse(two[:len(two)-cut])
		if !errors.Is(err, ErrTruncated) || len(pkts) != 1 || !bytes.Equal(pkts[0].Data, []byte{1, 2, 3, 4}) {
			t.Errorf("cut %d bytes: %d packets, %v; want the first packet and ErrTruncated", cut, len(pkts), err)
		}
	}
}

// The real ucarp capture of carp/testdata: every frame is Ethernet, in
// time order.
func TestParseVector(t *testing.T) {
	b, err := os.ReadFile("../../carp/testdata/ucarp-vhid1-pair.pcap")
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) < 10 {
		t.Fatalf("%d packets, want the capture's adverts", len(pkts))
	}
	for i, p := range pkts {
		if len(p.Data) < 14 {
			t.Errorf("packet %d: %d bytes, shorter than an Ethernet header", i, len(p.Data))
		}
		if i > 0 && p.At.Before(pkts[i-1].At) {
			t.Errorf("packet %d at %v, before packet %d", i, p.At, i-1)
		}
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../carp/testdata/ucarp-vhid1-pair.pcap"); err == nil {
		f.Add(b)
	}
	f.Add(pcapFile(binary.BigEndian, 0xa1b23c4d, 1, record{1, 2, []byte{1}}))
	f.Add(pcapngBlock(0x0a0d0d0a, binary.LittleEndian.AppendUint32(nil, 0x1a2b3c4d)))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts, err := Parse(b)
		if err != nil && !errors.Is(err, ErrTruncated) && len(pkts) != 0 {
			t.Errorf("error %v with %d packets", err, len(pkts))
		}
		for _, p := range pkts {
			if len(p.Data) > len(b) {
				t.Errorf("a packet of %d bytes from a file of %d", len(p.Data), len(b))
			}
		}
	})
}

// BenchmarkParse measures reading a capture of 10,000 advert-sized frames
// (a pktcap-uw minute of a busy segment is far smaller).
func BenchmarkParse(b *testing.B) {
	frame := make([]byte, 70)
	recs := make([]record, 10000)
	for i := range recs {
		recs[i] = record{uint32(1764158400 + i/10), uint32(i%10) * 100000, frame}
	}
	file := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 1, recs...)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		pkts, err := Parse(file)
		if err != nil || len(pkts) != len(recs) {
			b.Fatalf("%d packets, %v", len(pkts), err)
		}
	}
}

func TestAppendPcapRoundTrip(t *testing.T) {
	want := []Packet{
		{At: time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC), Data: []byte{1, 2, 3}},
		{At: time.Date(2026, 11, 26, 12, 0, 1, 5, time.UTC), Data: bytes.Repeat([]byte{0xee}, 1500)},
	}
	got, err := Parse(AppendPcap(nil, want))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// Extreme if_tsresol values from a malformed pcapng never panic: 10^-127 s
// ticks are all below a nanosecond, 2^-127 s likewise.
func TestExtremeTimestampResolution(t *testing.T) {
	for _, r := range []tsres{{pow10: true, exp: 127}, {pow10: true, exp: 29}, {pow10: false, exp: 127}} {
		if got := r.nanos(^uint64(0)); got != 0 {
			t.Errorf("%+v: %d ns for the largest tick count; want 0", r, got)
		}
	}
	if got := (tsres{pow10: true, exp: 28}).nanos(^uint64(0)); got != 1 {
		t.Errorf("10^-28 s: %d ns for 1.8e19 ticks; want 1", got)
	}
	if got := (tsres{pow10: true, exp: 10}).nanos(25); got != 2 {
		t.Errorf("25 ticks of 0.1 ns: %d ns; want 2", got)
	}
}
