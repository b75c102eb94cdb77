//go:build unix

package node

import (
	"context"
	"os/exec"
	"syscall"
)

// runCommand runs command with sh -c in a process group of its own, so
// that a timeout kills whatever it started, and keeps at most
// MaxTrackOutput bytes of its output.
func runCommand(ctx context.Context, command string) ([]byte, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	out := &boundedBuffer{max: MaxTrackOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		return out.Bytes(), err
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-waited
		return out.Bytes(), ctx.Err()
	}
}
