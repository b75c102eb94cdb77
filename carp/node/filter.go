package node

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Ethernet and IPv4 offsets the filter reads.
const (
	offEtherType     = 12
	offIPProto       = 14 + 9
	offVLANEtherType = 16
	offVLANIPProto   = 18 + 9
	etherTypeIPv4    = 0x0800
	etherTypeVLAN    = 0x8100
	snapLen          = 0x40000
)

// filterProgram admits only IPv4 protocol 112 (CARP and VRRP), untagged or
// behind one 802.1Q tag; everything else is dropped in the kernel.
func filterProgram() []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: offEtherType, Size: 2},                      // 0
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipFalse: 3}, // 1: -> 5
		bpf.LoadAbsolute{Off: offIPProto, Size: 1},                        // 2
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoCARP, SkipFalse: 6},     // 3: -> 10 drop
		bpf.RetConstant{Val: snapLen},                                     // 4: accept
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeVLAN, SkipFalse: 4}, // 5: -> 10 drop
		bpf.LoadAbsolute{Off: offVLANEtherType, Size: 2},                  // 6
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipFalse: 2}, // 7: -> 10 drop
		bpf.LoadAbsolute{Off: offVLANIPProto, Size: 1},                    // 8
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoCARP, SkipTrue: 1},      // 9: -> 11 accept
		bpf.RetConstant{Val: 0},                                           // 10: drop
		bpf.RetConstant{Val: snapLen},                                     // 11: accept
	}
}

// protoCARP is IPv4 protocol 112, shared by CARP and VRRP.
const protoCARP = 112

func assembledFilter() ([]bpf.RawInstruction, error) {
	raw, err := bpf.Assemble(filterProgram())
	if err != nil {
		return nil, fmt.Errorf("node: assemble BPF filter: %w", err)
	}
	return raw, nil
}
