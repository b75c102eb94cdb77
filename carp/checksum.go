package carp

// checksum returns the RFC 1071 Internet checksum of b: the one's complement
// of the one's complement sum of its 16-bit big-endian words (an odd final
// byte is padded with zero). Summing a buffer that carries its own correct
// checksum gives 0.
func checksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
