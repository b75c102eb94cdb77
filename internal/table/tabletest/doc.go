// Package tabletest checks, for the tests of every command that prints a
// table, that the table meets a terminal as internal/table promises:
// fitted to its width, and as key: value blocks below the width it can fit.
package tabletest
