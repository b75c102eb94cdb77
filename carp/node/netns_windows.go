//go:build windows

package node

// netnsInode: Windows has no network namespaces.
func netnsInode(string) (uint64, error) { return 0, ErrNotLinux }
