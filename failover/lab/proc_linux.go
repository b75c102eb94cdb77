package lab

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The lab's routers are processes; these read their state from /proc.

// procAlive says whether p still runs (and is still ours: its command line
// names the program we started, so that a recycled pid is left alone).
func procAlive(p Proc) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return false
	}
	if procState(p.Pid) == "Z" {
		return false // a zombie waits to be reaped: it is not running
	}
	argv0, _, _ := strings.Cut(string(b), "\x00")
	return filepath.Base(argv0) == filepath.Base(p.Args[0])
}

// exited says whether pid's files (and so its sockets: a node's group
// lock) are closed: it has gone, or it is a zombie with no thread left.
// Its memory goes first, so an empty cmdline does not mean it has exited;
// and a killed Go process's leader thread can be a zombie while another
// of its threads still closes the files they share.
func exited(pid int) bool {
	switch procState(pid) {
	case "":
		return true
	case "Z", "X":
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		if err != nil {
			return true // gone meanwhile
		}
		for _, task := range tasks {
			if task.Name() != strconv.Itoa(pid) {
				return false
			}
		}
		return true
	}
	return false
}

// waitExit waits up to d for pid to have exited, and says whether it has.
func waitExit(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if exited(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func procName(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	argv0, _, _ := strings.Cut(string(b), "\x00")
	if argv0 == "" {
		return "\x00none"
	}
	return argv0
}

// procState is pid's state letter in /proc (R, S, T, Z...), "" when gone.
func procState(pid int) string {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 {
		return f[0]
	}
	return ""
}
