package carp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/netip"
	"slices"
)

// MaxPassphrase is the longest passphrase the kernels and ucarp keep: the
// kernel key is 20 bytes, FreeBSD and OpenBSD ifconfig keep at most 19
// characters, and ucarp refuses 20 or more.
const MaxPassphrase = 19

// ErrPassphraseTooLong is returned by NewKey for a passphrase the peers
// would silently truncate.
var ErrPassphraseTooLong = errors.New("carp: passphrase too long")

// Key is the HMAC-SHA1 key of a CARP group: the passphrase itself. It never
// prints its value, in any format.
type Key struct{ pass []byte }

// NewKey returns the key for passphrase pass (a copy is kept). An empty
// passphrase is allowed (FreeBSD's default). A passphrase longer than
// MaxPassphrase bytes is refused with ErrPassphraseTooLong.
func NewKey(pass []byte) (Key, error) {
	if len(pass) > MaxPassphrase {
		return Key{}, fmt.Errorf("%w: %d bytes, the limit is %d (FreeBSD and OpenBSD would truncate it, ucarp refuses it)",
			ErrPassphraseTooLong, len(pass), MaxPassphrase)
	}
	return Key{pass: bytes.Clone(pass)}, nil
}

// String prints a redaction marker, never the passphrase.
func (k Key) String() string { return "carp.Key(<redacted>)" }

// GoString keeps %#v from printing the passphrase.
func (k Key) GoString() string { return k.String() }

// Format keeps every fmt verb from printing the passphrase.
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// Equal reports whether k and o hold the same passphrase, in constant time.
func (k Key) Equal(o Key) bool { return hmac.Equal(k.pass, o.pass) }

// Sum returns the HMAC-SHA1 a CARP peer puts in an advertisement of group
// vhid with the given counter. The message is, in order: the version byte
// (2), the type byte (1), vhid, every IPv4 VIP in ascending order (4 bytes
// each), every IPv6 VIP in ascending byte order (16 bytes each, with the
// scope bytes 2-3 of link-local addresses zeroed and the zone dropped),
// then the counter (8 bytes, big-endian). Duplicate addresses count once;
// vips itself is not modified.
func (k Key) Sum(vhid uint8, vips []netip.Addr, counter uint64) [20]byte {
	s := newSigner(k, vhid, vips)
	return s.sum(counter)
}

// signer computes advert HMACs for one group, reusing its hash and the
// message prefix so that verifying costs no allocation.
type signer struct {
	mac    hash.Hash
	prefix []byte
	buf    [sha1.Size]byte
	ctr    [8]byte
}

func newSigner(k Key, vhid uint8, vips []netip.Addr) *signer {
	return &signer{mac: hmac.New(sha1.New, k.pass), prefix: hmacPrefix(vhid, vips)}
}

func (s *signer) sum(counter uint64) [20]byte {
	binary.BigEndian.PutUint64(s.ctr[:], counter)
	s.mac.Reset()
	s.mac.Write(s.prefix)
	s.mac.Write(s.ctr[:])
	var out [20]byte
	copy(out[:], s.mac.Sum(s.buf[:0]))
	return out
}

// verify reports whether a's HMAC is the one this group's key gives.
func (s *signer) verify(a *Advert) bool {
	want := s.sum(a.Counter)
	return hmac.Equal(want[:], a.HMAC[:])
}

// hmacPrefix is the HMAC message without the counter.
func hmacPrefix(vhid uint8, vips []netip.Addr) []byte {
	var v4, v6 [][]byte
	for _, ip := range vips {
		ip = ip.Unmap()
		switch {
		case ip.Is4():
			b := ip.As4()
			v4 = append(v4, b[:])
		case ip.Is6():
			b := ip.As16()
			if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
				b[2], b[3] = 0, 0 // the KAME embedded scope, cleared by the kernels
			}
			v6 = append(v6, b[:])
		}
	}
	out := []byte{Version, TypeAdvertisement, vhid}
	for _, set := range [][][]byte{v4, v6} {
		slices.SortFunc(set, bytes.Compare)
		set = slices.CompactFunc(set, bytes.Equal)
		for _, b := range set {
			out = append(out, b...)
		}
	}
	return out
}
