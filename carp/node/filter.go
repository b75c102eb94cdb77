package node

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Ethernet, IPv4 and IPv6 offsets the filter reads.
const (
	offEtherType       = 12
	offIPProto         = 14 + 9 // IPv4 protocol
	offIPv6NextHeader  = 14 + 6
	offVLANEtherType   = 16
	offVLANIPProto     = 18 + 9
	offVLANIPv6NextHdr = 18 + 6
	etherTypeIPv4      = 0x0800
	etherTypeIPv6      = 0x86dd
	etherTypeVLAN      = 0x8100
	snapLen            = 0x40000
)

// filterProgram admits only IPv4 protocol 112 and IPv6 next header 112
// (CARP and VRRP), untagged or behind one 802.1Q tag; everything else is
// dropped in the kernel. IPv6 extension headers are not followed: the
// first next header must be 112, as in every CARP advert (FreeBSD and
// OpenBSD send the bare 40-byte header), so a packet with a hop-by-hop or
// fragment header before CARP is dropped here, as carp.ParseFrame would
// refuse it.
func filterProgram() []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: offEtherType, Size: 2},                      // 0
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipFalse: 2}, // 1: -> 4
		bpf.LoadAbsolute{Off: offIPProto, Size: 1},                        // 2
		bpf.Jump{Skip: 10}, // 3: -> 14
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv6, SkipFalse: 2}, // 4: -> 7
		bpf.LoadAbsolute{Off: offIPv6NextHeader, Size: 1},                 // 5
		bpf.Jump{Skip: 7}, // 6: -> 14
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeVLAN, SkipFalse: 7}, // 7: -> 15 drop
		bpf.LoadAbsolute{Off: offVLANEtherType, Size: 2},                  // 8
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipFalse: 2}, // 9: -> 12
		bpf.LoadAbsolute{Off: offVLANIPProto, Size: 1},                    // 10
		bpf.Jump{Skip: 2}, // 11: -> 14
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv6, SkipFalse: 2}, // 12: -> 15 drop
		bpf.LoadAbsolute{Off: offVLANIPv6NextHdr, Size: 1},                // 13
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoCARP, SkipTrue: 1},      // 14: protocol 112? -> 16
		bpf.RetConstant{Val: 0},       // 15: drop
		bpf.RetConstant{Val: snapLen}, // 16: accept
	}
}

// protoCARP is IPv4 protocol and IPv6 next header 112, shared by CARP and
// VRRP.
const protoCARP = 112

func assembledFilter() ([]bpf.RawInstruction, error) {
	raw, err := bpf.Assemble(filterProgram())
	if err != nil {
		return nil, fmt.Errorf("node: assemble BPF filter: %w", err)
	}
	return raw, nil
}
