package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Down stops the lab's processes and removes its namespaces and state
// files: exactly what Up made, found from the state file, and the lab's
// four namespace names.
func Down(ctx context.Context, opts Options, log *slog.Logger) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := loadState(opts.StateDir)
	if err != nil {
		return err
	}
	if st != nil && st.Prefix != opts.Prefix {
		return fmt.Errorf("lab: %s holds a lab with prefix %q, not %q", opts.StateDir, st.Prefix, opts.Prefix)
	}
	// Only namespaces the lab marked as its own; any other named like
	// them stops Down before it touches anything.
	names, err := existing(ctx, opts.Prefix, opts.names(st))
	if err != nil {
		return err
	}
	if st != nil {
		for _, p := range st.Procs {
			if procAlive(p) {
				_ = syscall.Kill(p.Pid, syscall.SIGTERM)
			}
		}
	}
	var errs []error
	for _, name := range names {
		// Anything still running inside (a node restarted by a drill, a
		// script): it belongs to the lab.
		if out, err := run(ctx, "ip", "netns", "pids", name); err == nil {
			for _, f := range strings.Fields(out) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGTERM)
					waitExit(pid, 2*time.Second)
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if _, err := run(ctx, "ip", "netns", "del", name); err != nil {
			errs = append(errs, err)
			continue
		}
		log.Info("removed namespace", "name", name)
	}
	if st != nil {
		for _, p := range st.Procs {
			_ = os.Remove(p.Log)
		}
	}
	kaFiles, _ := filepath.Glob(filepath.Join(opts.StateDir, keepalivedPrefix+"*"))
	for _, f := range kaFiles {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, f := range []string{"intranought.pass", "public.pass", "vip-up.sh", "vip-down.sh",
		Router1 + ".yaml", Router2 + ".yaml", Router1 + ".sock", Router2 + ".sock", StateFile,
		Router1 + ".sock.lock", Router2 + ".sock.lock"} {
		if err := os.Remove(filepath.Join(opts.StateDir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(opts.StateDir, nodeDir)); err != nil {
		errs = append(errs, err)
	}
	_ = os.Remove(opts.StateDir) // only when empty
	return errors.Join(errs...)
}
