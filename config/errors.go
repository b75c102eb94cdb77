package config

import "fmt"

// Error is a configuration error: the key that is wrong and why. Commands
// map it to exit code 2.
type Error struct {
	Key string // e.g. networks[1].vips[0]
	Msg string
}

func (e *Error) Error() string { return "config: " + e.Key + ": " + e.Msg }

func errorf(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}
