package groupby

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOrdered(t *testing.T) {
	got := Ordered([]string{"b1", "a1", "b2", "c1", "a2"}, func(s string) byte { return s[0] })
	want := [][]string{{"b1", "b2"}, {"a1", "a2"}, {"c1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if got := Ordered(nil, func(s string) string { return s }); got != nil {
		t.Errorf("no items: %v, want no groups", got)
	}
}
