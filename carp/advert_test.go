package carp

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAdvertRoundTrip(t *testing.T) {
	a := Advert{VHID: 7, AdvSkew: 100, Demote: 3, AdvBase: 2, Counter: 0x0102030405060708}
	for i := range a.HMAC {
		a.HMAC[i] = byte(0xa0 + i)
	}
	b, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x21, 7, 100, 7, 3, 2, byte(a.Checksum >> 8), byte(a.Checksum),
		1, 2, 3, 4, 5, 6, 7, 8,
	}
	want = append(want, a.HMAC[:]...)
	if diff := cmp.Diff(want, b); diff != "" {
		t.Fatalf("wire bytes (-want +got):\n%s", diff)
	}
	if Checksum(b) != 0 {
		t.Errorf("checksum %#04x does not verify", a.Checksum)
	}
	var got Advert
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	appended, _ := a.AppendBinary([]byte{0xff})
	if diff := cmp.Diff(append([]byte{0xff}, b...), appended); diff != "" {
		t.Errorf("AppendBinary (-want +got):\n%s", diff)
	}
}

func TestAdvertChecksumKnown(t *testing.T) {
	// Header of the capture's first advert; tshark reports checksum 0x6dd5 correct.
	a := Advert{VHID: 1, AdvBase: 1, Counter: 0x2358876b72d44c2f,
		HMAC: [20]byte{0xe1, 0xbe, 0xfd, 0xfc, 0xe4, 0xdc, 0x9c, 0x36, 0x56, 0xfb, 0xf5, 0x97, 0x3f, 0xc7, 0xee, 0x15, 0xf9, 0x12, 0x33, 0x07}}
	if _, err := a.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	if a.Checksum != 0x6dd5 {
		t.Errorf("checksum %#04x, want 0x6dd5", a.Checksum)
	}
}

func TestAdvertUnmarshalErrors(t *testing.T) {
	good, _ := (&Advert{VHID: 1, AdvBase: 1, Counter: 9}).MarshalBinary()
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, io.ErrUnexpectedEOF},
		{"35 bytes", good[:35], io.ErrUnexpectedEOF},
		{"version 3", mod(func(b []byte) { b[0] = 0x31 }), ErrVersion},
		{"type 2", mod(func(b []byte) { b[0] = 0x22 }), ErrType},
		{"authlen 6", mod(func(b []byte) { b[3] = 6 }), ErrAuthLen},
		{"checksum", mod(func(b []byte) { b[20] ^= 1 }), ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Advert{VHID: 99}
			err := a.UnmarshalBinary(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if a.VHID != 99 {
				t.Errorf("advert modified on error: %+v", a)
			}
		})
	}
	// Trailing bytes are ignored.
	var a Advert
	if err := a.UnmarshalBinary(append(append([]byte(nil), good...), 0, 0)); err != nil || a.Counter != 9 {
		t.Errorf("with trailing bytes: %v, %+v", err, a)
	}
}

func TestIntervals(t *testing.T) {
	tests := []struct {
		base       uint8
		skew       int
		iv, master time.Duration
	}{
		{1, 0, time.Second, 3 * time.Second},
		{1, 100, time.Second + 100*time.Second/256, 3*time.Second + 100*time.Second/256},
		{3, 240, 3*time.Second + 240*time.Second/256, 9*time.Second + 240*time.Second/256},
		{0, 0, time.Second / 256, 3 * time.Second / 256},        // OpenBSD sub-second floor
		{0, 20, 20 * time.Second / 256, 60 * time.Second / 256}, // OpenBSD: 3*skew/256
		{255, 255, 255*time.Second + 255*time.Second/256, 765*time.Second + 255*time.Second/256},
	}
	for _, tt := range tests {
		if got := Interval(tt.base, tt.skew); got != tt.iv {
			t.Errorf("Interval(%d,%d) = %v, want %v", tt.base, tt.skew, got, tt.iv)
		}
		if got := MasterDown(tt.base, tt.skew); got != tt.master {
			t.Errorf("MasterDown(%d,%d) = %v, want %v", tt.base, tt.skew, got, tt.master)
		}
	}
	if got := (Advert{AdvBase: 1, AdvSkew: 100, Demote: 50}).Interval(); got != time.Second+100*time.Second/256 {
		t.Errorf("Advert.Interval counts demote: %v", got)
	}
}
