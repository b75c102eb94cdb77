package lab

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	vnetns "github.com/vishvananda/netns"
)

// inNamespace runs fn on a locked OS thread switched into the named
// namespace, then switches back. Sockets fn opens stay in the namespace.
func inNamespace(name string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := vnetns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("lab: current namespace: %w", err)
	}
	defer orig.Close()
	target, err := vnetns.GetFromName(name)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("lab: open namespace %s: %w", name, err)
	}
	defer target.Close()
	if err := vnetns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("lab: enter namespace %s: %w", name, err)
	}
	ferr := fn()
	if err := vnetns.Set(orig); err != nil {
		// Keep the thread locked: it dies with its goroutine rather than
		// serve others from the wrong namespace.
		return fmt.Errorf("lab: leave namespace %s: %w", name, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// run runs a command and returns its output; the error names the command
// and carries its output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("lab: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// nsRun runs a command inside namespace ns.
func nsRun(ctx context.Context, ns, name string, args ...string) (string, error) {
	return run(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}
