//go:build linux

package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/carpvm/carpvm/internal/syncbuf"
)

// Process is a process a World started inside one of its namespaces.
type Process struct {
	cmd  *exec.Cmd
	out  syncbuf.Buffer
	done chan struct{}
	err  error // set before done is closed
}

func (w *World) start(cmd *exec.Cmd) (*Process, error) {
	p := &Process{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = &p.out
	cmd.Stderr = &p.out
	// Own process group: a signal meant for the test runner's group does
	// not reach it, and it does not outlive Close.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := w.track(p); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		close(p.done)
		return nil, fmt.Errorf("netns: start %s: %w", cmd.String(), err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id (`ip netns exec` execs the command, so this is the
// command's own pid).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error {
	select {
	case <-p.done:
		return errors.New("netns: process already exited")
	default:
	}
	return p.cmd.Process.Signal(sig)
}

// Wait waits at most timeout for the process to exit and returns its exit
// error (nil for status 0).
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("netns: %s still running after %s", p.cmd.String(), timeout)
	}
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// kill SIGKILLs the process if it still runs and waits for it.
func (p *Process) kill() {
	if p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}
