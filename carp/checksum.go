package carp

// checksum returns the RFC 1071 Internet checksum of b: the one's complement
// of the one's complement sum of its 16-bit big-endian words (an odd final
// byte is padded with zero). Summing a buffer that carries its own correct
// checksum gives 0.
func checksum(b []byte) uint16 { return ^fold(onesSum(0, b)) }

// onesSum adds b's 16-bit big-endian words to sum (an odd final byte padded
// with zero), for checksums over several pieces (VRRPv3's pseudo-header and
// message). Pieces other than the last must have an even length.
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
