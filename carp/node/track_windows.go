//go:build windows

package node

import "context"

// runCommand: the node does not run on Windows.
func runCommand(context.Context, string) ([]byte, error) { return nil, ErrNotLinux }
