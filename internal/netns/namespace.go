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
	return run(ctx, "ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Start starts name with args inside the namespace as a process the world
// kills on Close if it is still running. Its output is collected (Output).
func (n *Namespace) Start(name string, args ...string) (*Process, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	return n.w.start(cmd)
}

// Do runs fn on a goroutine-locked OS thread switched into the namespace,
// then switches the thread back. Sockets and netlink handles opened by fn
// stay in the namespace after Do returns; goroutines fn starts do not run
// in it.
func (n *Namespace) Do(fn func() error) error {
	runtime.LockOSThread()
	orig, err := vnetns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: current namespace: %w", err)
	}
	defer orig.Close()
	target, err := vnetns.GetFromName(n.Name)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: open %s: %w", n.Name, err)
	}
	defer target.Close()
	if err := vnetns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: enter %s: %w", n.Name, err)
	}
	ferr := fn()
	if err := vnetns.Set(orig); err != nil {
		// Leave the thread locked: it dies with the goroutine instead of
		// serving other goroutines from the wrong namespace.
		return fmt.Errorf("netns: leave %s: %w", n.Name, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// Sysctl writes a sysctl inside the namespace (key in dotted form, e.g.
// "net.ipv4.conf.all.arp_ignore").
func (n *Namespace) Sysctl(key, value string) error {
	if strings.ContainsAny(key, "/ '") || strings.ContainsAny(value, "'\n") {
		return fmt.Errorf("netns: sysctl %q=%q: want a dotted key and a plain value", key, value)
	}
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	_, err := n.Run(context.Background(), "sh", "-c", "echo '"+value+"' > "+path)
	return err
}
