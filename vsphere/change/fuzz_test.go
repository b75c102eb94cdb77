package change

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDecodeBackup: a backup file is user input; decoding it never panics,
// and what decodes re-encodes and decodes to the same document.
func FuzzDecodeBackup(f *testing.F) {
	var buf bytes.Buffer
	b := sample()
	if err := b.Encode(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Add(`{"format":"carpvm-backup/1","objects":[{"target":{"kind":"vm-nic","name":"r"},"absent":true}]}`)
	f.Add(`{"format":"carpvm-backup/1","objects":[{"target":{"kind":"portgroup","name":"p"},"type":"T","spec":[1,2]}]}`)
	f.Add("null")
	f.Fuzz(func(t *testing.T, doc string) {
		got, err := DecodeBackup(strings.NewReader(doc))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := got.Encode(&out); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := DecodeBackup(&out); err != nil {
			t.Fatalf("re-decode of %q: %v", out.String(), err)
		}
	})
}
