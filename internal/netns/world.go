//go:build linux

package netns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// prefix starts the name of every namespace this package creates:
// "cv-<pid>-<rand>-<name>".
const prefix = "cv-"

// runDir is where iproute2 keeps named namespaces.
const runDir = "/var/run/netns"

// World is a set of namespaces, bridges, links and processes that belong
// together and are removed together by Close.
type World struct {
	tag string // "<pid>-<rand>"

	mu         sync.Mutex
	namespaces []*Namespace
	procs      []*Process
	ports      int
	closed     bool
}

// Available reports why worlds cannot be built on this machine (not root,
// iproute2 missing), or nil when they can. Tests skip with this reason.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("netns: network namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
	for _, tool := range []string{"ip", "bridge"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("netns: %s (iproute2) not found: %w", tool, err)
		}
	}
	return nil
}

// New starts an empty world with a unique tag.
func New() (*World, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("netns: random tag: %w", err)
	}
	return &World{tag: fmt.Sprintf("%d-%s", os.Getpid(), hex.EncodeToString(b[:]))}, nil
}

// Tag is the world's unique tag, part of every namespace name.
func (w *World) Tag() string { return w.tag }

// Namespace creates a named network namespace "cv-<tag>-<name>" with its
// loopback up.
func (w *World) Namespace(ctx context.Context, name string) (*Namespace, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("netns: namespace name %q: want letters, digits, '-' or '_' (at most 32)", name)
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, errors.New("netns: world is closed")
	}
	w.mu.Unlock()
	ns := &Namespace{Name: prefix + w.tag + "-" + name, Short: name, w: w}
	if _, err := Run(ctx, "ip", "netns", "add", ns.Name); err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.namespaces = append(w.namespaces, ns)
	w.mu.Unlock()
	if _, err := ns.Run(ctx, "ip", "link", "set", "lo", "up"); err != nil {
		return nil, err
	}
	return ns, nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Close kills the processes the world started that are still running, then
// deletes its namespaces (and so every interface in them). It reports every
// failure, not only the first, and may be called more than once.
func (w *World) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	procs, namespaces := w.procs, w.namespaces
	w.mu.Unlock()

	var errs []error
	for _, p := range procs {
		p.kill()
	}
	// Not the caller's context: a teardown cut short by Ctrl-C would leave
	// the namespaces behind. Each command is bounded by Run.
	ctx := context.Background()
	for i := len(namespaces) - 1; i >= 0; i-- {
		if _, err := Run(ctx, "ip", "netns", "del", namespaces[i].Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (w *World) track(p *Process) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("netns: world is closed")
	}
	w.procs = append(w.procs, p)
	return nil
}

func (w *World) nextPort() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ports++
	return w.ports
}

// Sweep deletes the namespaces left behind by worlds whose process no
// longer exists (a test binary killed by a timeout, say) and returns their
// names. Namespaces of live processes are left alone.
func Sweep(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(runDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netns: sweep: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		pid, ok := ownerPID(e.Name())
		if !ok || alive(pid) {
			continue
		}
		if _, err := Run(ctx, "ip", "netns", "del", e.Name()); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}

// ownerPID extracts the pid from "cv-<pid>-<rand>-<name>".
func ownerPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	p, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	return pid, err == nil && pid > 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Run runs a command (30 s at most) and returns its combined output; the
// error names the command and carries its output.
func Run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("netns: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
