package node

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A caller that may not use the control socket is told a node is there
// and that it lacks the permission, not that no node runs.
func TestCallWithoutPermission(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root, to call as another user from one thread")
	}
	sock := controlServer(t, 5*time.Second) // mode 0600, root's
	// Its directories open to all, as /run/carpvm is (0755).
	for dir := filepath.Dir(sock); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, with its uid, ends with the
		// goroutine. A raw setresuid changes this thread only.
		runtime.LockOSThread()
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, 65534, 65534, 65534); e != 0 {
			errc <- e
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := Call(ctx, sock, Request{Command: "status"})
		errc <- err
	}()
	err := <-errc
	if err == nil || strings.Contains(err.Error(), "no carpvm node") ||
		!strings.Contains(err.Error(), "a carpvm node's control socket is at "+sock) || !strings.Contains(err.Error(), "may not use it") ||
		!strings.Contains(err.Error(), "uid 0") {
		t.Errorf("Call as uid 65534: %v; want a node there that this user may not use", err)
	}
}
