package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The lab marks every namespace it makes with an alias on the namespace's
// loopback, "carpvm-lab PREFIX": the mark lives as long as the namespace,
// even when the lab's state directory is lost, and Up and Down delete only
// namespaces that carry it.

func markAlias(prefix string) string { return "carpvm-lab " + prefix }

// names are the lab's four namespace names, then any other the state
// recorded.
func (o Options) names(st *State) []string {
	names := []string{o.Namespace(Switch), o.Namespace(Router1), o.Namespace(Router2), o.Namespace(Client)}
	if st != nil {
		for _, n := range st.Namespaces {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

func nsExists(name string) bool {
	_, err := os.Stat(filepath.Join("/run/netns", name))
	return err == nil
}

// addMarked creates namespace name and marks it as the lab's; a namespace
// it cannot mark it removes again.
func addMarked(ctx context.Context, name, prefix string) error {
	if _, err := run(ctx, "ip", "netns", "add", name); err != nil {
		return err
	}
	if _, err := nsRun(ctx, name, "ip", "link", "set", "dev", "lo", "alias", markAlias(prefix)); err != nil {
		_, _ = run(ctx, "ip", "netns", "del", name)
		return fmt.Errorf("lab: mark namespace %s: %w", name, err)
	}
	return nil
}

// marked says whether namespace name carries the lab's mark for prefix.
func marked(ctx context.Context, name, prefix string) bool {
	out, err := nsRun(ctx, name, "cat", "/sys/class/net/lo/ifalias")
	return err == nil && strings.TrimSpace(out) == markAlias(prefix)
}

// existing returns those of names that exist, or an error naming each one
// that exists without the lab's mark: the lab did not make it, and never
// deletes it.
func existing(ctx context.Context, prefix string, names []string) ([]string, error) {
	var found []string
	var errs []error
	for _, n := range names {
		if !nsExists(n) {
			continue
		}
		if !marked(ctx, n, prefix) {
			errs = append(errs, fmt.Errorf("lab: namespace %s exists but was not made by carpvm lab (its loopback lacks the alias %q); "+
				"refusing to delete it: choose another --prefix, or remove it yourself with `ip netns del %s` if it is yours to remove", n, markAlias(prefix), n))
			continue
		}
		found = append(found, n)
	}
	return found, errors.Join(errs...)
}
