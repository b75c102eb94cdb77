//go:build windows

package node

import "io/fs"

// fileOwner: Windows files have no uid.
func fileOwner(fs.FileInfo) (uint32, bool) { return 0, false }
