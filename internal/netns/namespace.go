//go:build linux

package netns

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"

	vnetns "github.com/vishvananda/netns"
)

// Namespace is a named network namespace of a World.
type Namespace struct {
	// Name is the full name, as `ip netns` knows it ("cv-<tag>-<short>").
	Name string
	// Short is the name the caller gave.
	Short string
	w     *World
}

// Command returns a command that runs name with args inside the namespace
// (`ip netns exec NAME ...`). The caller runs it; use Start for a process
// the world must kill on Close.
func (n *Namespace) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Run runs name with args inside the namespace and returns its combined
// output; a failure's error carries the output.
func (n *Namespace) Run(ctx context.Context, name string, args ...string) (string, error) {
	return RunIn(ctx, n.Name, name, args...)
}

// RunIn runs name with args inside the named namespace (`ip netns exec`)
// and returns its combined output; a failure's error carries the output.
func RunIn(ctx context.Context, ns, name string, args ...string) (string, error) {
	return Run(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// Start starts name with args inside the namespace as a process the world
// kills on Close if it is still running. Its output is collected (Output).
func (n *Namespace) Start(name string, args ...string) (*Process, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	return n.w.start(cmd)
}

// Do runs fn on a goroutine-locked OS thread switched into the namespace,
// then switches the thread back (see Enter).
func (n *Namespace) Do(fn func() error) error { return Enter(n.Name, fn) }

// Enter runs fn on a goroutine-locked OS thread switched into the named
// namespace (as `ip netns` knows it), then switches the thread back.
// Sockets and netlink handles opened by fn stay in the namespace after
// Enter returns; goroutines fn starts do not run in it.
func Enter(name string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := vnetns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: current namespace: %w", err)
	}
	defer orig.Close()
	target, err := vnetns.GetFromName(name)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: open %s: %w", name, err)
	}
	defer target.Close()
	if err := vnetns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: enter %s: %w", name, err)
	}
	ferr := fn()
	if err := vnetns.Set(orig); err != nil {
		// Leave the thread locked: it dies with the goroutine instead of
		// serving other goroutines from the wrong namespace.
		return fmt.Errorf("netns: leave %s: %w", name, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// Sysctl writes a sysctl inside the namespace (key in dotted form, e.g.
// "net.ipv4.conf.all.arp_ignore").
func (n *Namespace) Sysctl(ctx context.Context, key, value string) error {
	if strings.ContainsAny(key, "/ '") || strings.ContainsAny(value, "'\n") {
		return fmt.Errorf("netns: sysctl %q=%q: want a dotted key and a plain value", key, value)
	}
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	_, err := n.Run(ctx, "sh", "-c", "echo '"+value+"' > "+path)
	return err
}
