package carp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// HeaderLen is the length of a CARP advertisement on the wire.
const HeaderLen = 36

// Version and TypeAdvertisement are the only version and type CARP defines;
// they share the first byte (0x21), as VRRPv2 does.
const (
	Version           = 2
	TypeAdvertisement = 1
	// AuthLen is the authentication length every implementation sends: the
	// counter and the HMAC, in 32-bit words (8 + 20 bytes = 7 words).
	AuthLen = 7
)

// Sentinel errors of UnmarshalBinary, for callers to branch on with errors.Is.
// A payload shorter than HeaderLen yields io.ErrUnexpectedEOF.
var (
	ErrVersion  = errors.New("carp: not CARP version 2")
	ErrType     = errors.New("carp: not an advertisement (type 1)")
	ErrAuthLen  = errors.New("carp: authentication length is not 7")
	ErrChecksum = errors.New("carp: bad checksum")
)

// Advert is a CARP advertisement (version 2, type 1). On the wire:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Type  |     VHID      |    AdvSkew    |    AuthLen    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    Demote     |    AdvBase    |           Checksum            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                     Counter (64 bits)                         |
//	|                                                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                  HMAC-SHA1 (160 bits)                         |
//	|                          ...                                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The checksum covers these 36 bytes only (no pseudo-header). Demote is
// padding on FreeBSD (sent as 0) and the sender's demotion count on OpenBSD.
// The HMAC covers neither AdvBase, AdvSkew nor Demote (see Key.Sum).
type Advert struct {
	VHID, AdvSkew, AuthLen, Demote, AdvBase uint8
	// Checksum is filled by MarshalBinary and kept by UnmarshalBinary.
	Checksum uint16
	Counter  uint64
	HMAC     [20]byte
}

// MarshalBinary encodes a as 36 bytes, version 2 type 1, and fills the
// checksum (in the returned bytes and in a.Checksum). AuthLen 0 is sent as 7.
func (a *Advert) MarshalBinary() ([]byte, error) {
	b := make([]byte, HeaderLen)
	a.put(b)
	return b, nil
}

// AppendBinary appends the 36-byte encoding of a to dst, as MarshalBinary.
func (a *Advert) AppendBinary(dst []byte) ([]byte, error) {
	n := len(dst)
	dst = append(dst, make([]byte, HeaderLen)...)
	a.put(dst[n:])
	return dst, nil
}

func (a *Advert) put(b []byte) {
	if a.AuthLen == 0 {
		a.AuthLen = AuthLen
	}
	b[0] = Version<<4 | TypeAdvertisement
	b[1] = a.VHID
	b[2] = a.AdvSkew
	b[3] = a.AuthLen
	b[4] = a.Demote
	b[5] = a.AdvBase
	b[6], b[7] = 0, 0
	binary.BigEndian.PutUint64(b[8:16], a.Counter)
	copy(b[16:36], a.HMAC[:])
	a.Checksum = Checksum(b[:HeaderLen])
	binary.BigEndian.PutUint16(b[6:8], a.Checksum)
}

// UnmarshalBinary decodes a CARP advertisement from b. It checks the version
// and type first (ErrVersion, ErrType), then the length
// (io.ErrUnexpectedEOF when shorter than HeaderLen), the authentication length (ErrAuthLen) and
// the checksum over the first 36 bytes (ErrChecksum). Bytes after the 36th
// are ignored. On error a is left unchanged.
func (a *Advert) UnmarshalBinary(b []byte) error {
	switch d, rej := decodeAdvert(b); rej {
	case 0:
		*a = d
		return nil
	case RejectShort:
		return fmt.Errorf("carp: advert of %d bytes, want %d: %w", len(b), HeaderLen, io.ErrUnexpectedEOF)
	case RejectVersion:
		if v := b[0] >> 4; v != Version {
			return fmt.Errorf("%w: version %d", ErrVersion, v)
		}
		return fmt.Errorf("%w: type %d", ErrType, b[0]&0x0f)
	case RejectAuthLen:
		return fmt.Errorf("%w: %d", ErrAuthLen, b[3])
	default:
		return fmt.Errorf("%w: 0x%04x", ErrChecksum, binary.BigEndian.Uint16(b[6:8]))
	}
}

// decodeAdvert is UnmarshalBinary without building errors (no allocation),
// for the receive path: it returns the reason a payload is refused.
func decodeAdvert(b []byte) (Advert, Reject) {
	var a Advert
	// The version first, so that a (shorter) VRRPv3 advert on a CARP
	// group counts as what it is.
	if len(b) > 0 && b[0] != Version<<4|TypeAdvertisement {
		return a, RejectVersion
	}
	if len(b) < HeaderLen {
		return a, RejectShort
	}
	if b[3] != AuthLen {
		return a, RejectAuthLen
	}
	if Checksum(b[:HeaderLen]) != 0 {
		return a, RejectChecksum
	}
	a.VHID = b[1]
	a.AdvSkew = b[2]
	a.AuthLen = b[3]
	a.Demote = b[4]
	a.AdvBase = b[5]
	a.Checksum = binary.BigEndian.Uint16(b[6:8])
	a.Counter = binary.BigEndian.Uint64(b[8:16])
	copy(a.HMAC[:], b[16:36])
	return a, 0
}

// Interval is the sender's advertisement interval, advbase + advskew/256
// seconds, with OpenBSD's floor of 1/256 s when both are 0. It ignores
// Demote; the state machine adds it (see Machine).
func (a Advert) Interval() time.Duration {
	return interval(a.AdvBase, int(a.AdvSkew))
}

// Interval is the advertisement interval of a sender with this advbase and
// skew (advskew plus demotion): advbase + skew/256 s, or skew/256 s with
// advbase 0 (OpenBSD's sub-second mode; a skew of 0 counts as 1). For
// callers that derive waits from a pair's timers without a Machine.
func Interval(advbase uint8, skew int) time.Duration { return interval(advbase, skew) }

// MasterDown is how long a BACKUP with this advbase and skew waits without
// adverts before it takes over: 3*advbase + skew/256 s, or 3*Interval with
// advbase 0 (OpenBSD). For callers without a Machine (drill objectives).
func MasterDown(advbase uint8, skew int) time.Duration { return masterDown(advbase, skew) }

// interval is advbase + skew/256 s; with advbase 0 (OpenBSD's sub-second
// mode) a skew of 0 counts as 1, so that the interval is never zero.
func interval(advbase uint8, skew int) time.Duration {
	if advbase == 0 && skew == 0 {
		skew = 1
	}
	return time.Duration(advbase)*time.Second + time.Duration(skew)*time.Second/256
}

// masterDown is how long a BACKUP waits without adverts before taking over:
// 3*advbase + skew/256 s (FreeBSD); with advbase 0, 3*max(skew,1)/256 s
// (OpenBSD).
func masterDown(advbase uint8, skew int) time.Duration {
	if advbase == 0 {
		return 3 * interval(0, skew)
	}
	return 3*time.Duration(advbase)*time.Second + time.Duration(skew)*time.Second/256
}
