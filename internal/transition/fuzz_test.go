package transition

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse: Parse never panics, and what it accepts Marshal writes back
// to a line Parse reads as the same transition.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodLine))
	f.Add([]byte(`{"format":"carpvm.transition/v1","time":"2026-12-07T02:14:03+01:00","router":"a","network":"b","vhid":255,"from":"INIT","to":"BACKUP","reason":"","demotion":240,"planned":"drill stun"}`))
	f.Add([]byte(`{"format":"carpvm.transition/v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Parse(b)
		if err != nil {
			return
		}
		out, err := Marshal(tr)
		if err != nil {
			t.Fatalf("Marshal of a parsed line: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(%+v)): %v", tr, err)
		}
		if !back.Time.Equal(tr.Time) {
			t.Fatalf("time %v became %v", tr.Time, back.Time)
		}
		back.Time = tr.Time
		if diff := cmp.Diff(tr, back); diff != "" {
			t.Fatalf("round trip (-want +got)\n%s", diff)
		}
	})
}
