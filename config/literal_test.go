package config

import "testing"

func TestLiteral(t *testing.T) {
	doc := []byte("interface: eth0\ngroups:\n  - vhid: 99999999999999999999999\n    vips: [10.0.0.1/24]\n  - {vhid: 0x10}\n")
	for _, tc := range []struct {
		path []any
		want string
		ok   bool
	}{
		{[]any{"groups", 0, "vhid"}, "99999999999999999999999", true},
		{[]any{"groups", 1, "vhid"}, "0x10", true},
		{[]any{"groups", 0, "vips", 0}, "10.0.0.1/24", true},
		{[]any{"interface"}, "eth0", true},
		{[]any{"groups", 2, "vhid"}, "", false},
		{[]any{"groups"}, "", false}, // a list, not a scalar
		{[]any{"interface", "x"}, "", false},
	} {
		got, ok := Literal(doc, tc.path...)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Literal(%v) = %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := Literal([]byte("{unclosed"), "a"); ok {
		t.Error("a document that does not parse gave a literal")
	}
}
