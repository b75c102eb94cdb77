package config

import (
	"fmt"
	"os"
	"strings"
)

// Secret holds a password or passphrase. It prints as a redaction marker in
// every format so that it cannot leak through logs, reports or JSON.
type Secret struct{ value string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the secret itself, for the one call that needs it.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s.value != "" }

func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "<redacted>"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// MarshalJSON keeps encoding/json from printing the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// Format keeps every fmt verb from printing the value.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// ReadSecretFile reads a secret from path: the first line, without its line
// ending, as ucarp and ifconfig users keep them.
func ReadSecretFile(path string) (Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Secret{}, fmt.Errorf("read secret file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return Secret{}, fmt.Errorf("secret file %s is empty", path)
	}
	return Secret{value: line}, nil
}
