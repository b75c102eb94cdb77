package carp

import "net/netip"

// Checksum returns the RFC 1071 Internet checksum of b: the one's
// complement of the one's complement sum of its 16-bit big-endian words
// (an odd final byte is padded with zero). Summing a buffer that carries
// its own correct checksum gives 0. CARP's header, IPv4 headers and VRRPv2
// use it as is.
func Checksum(b []byte) uint16 { return ^fold(onesSum(0, b)) }

// PseudoHeaderChecksum is the checksum of msg (its checksum field zero, or
// holding the checksum to verify: then the result is 0) carried by IP
// protocol proto from src to dst: the IPv4 pseudo-header (source,
// destination, zero, protocol, 16-bit length) or the IPv6 one of RFC 8200
// §8.1 (source, destination, 32-bit length, three zeros, next header),
// then msg. VRRPv3 and ICMPv6 use it.
func PseudoHeaderChecksum(src, dst netip.Addr, proto uint8, msg []byte) uint16 {
	sum := onesSum(onesSum(0, src.AsSlice()), dst.AsSlice())
	// Both pseudo-headers sum to protocol + length besides the addresses.
	sum += uint32(proto) + uint32(len(msg))
	return ^fold(onesSum(sum, msg))
}

// onesSum adds b's 16-bit big-endian words to sum (an odd final byte padded
// with zero), for checksums over several pieces. Pieces other than the
// last must have an even length.
func onesSum(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

// fold reduces a 32-bit one's complement sum to 16 bits.
func fold(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}
