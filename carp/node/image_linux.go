package node

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropImagePages asks the kernel to reclaim the pages of the running
// executable's read-only mappings (code, read-only data) that this
// process has mapped. A node's loop runs from a small part of the one
// carpvm binary, yet start-up (every package's init, the vSphere client's
// type registry included, and the command-line set-up) maps much more,
// and a kernel that maps a file's large folios whole at the first fault
// keeps most of the image resident. The pages the node goes on to use
// fault back in, from the page cache. Returns how many bytes it advised.
func dropImagePages() (int, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("node: executable: %w", err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("node: mappings: %w", err)
	}
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// address perms offset dev inode path
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[5] != exe || strings.Contains(f[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return total, fmt.Errorf("node: mapping %q in /proc/self/maps", f[0])
		}
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT); errno != 0 {
			return total, fmt.Errorf("node: madvise(MADV_PAGEOUT) %s: %w", f[0], errno)
		}
		total += int(end - start)
	}
	return total, nil
}
