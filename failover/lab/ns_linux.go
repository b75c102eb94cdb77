package lab

import (
	"context"

	"github.com/carpvm/carpvm/internal/netns"
)

// run runs a command and returns its output; the error names the command
// and carries its output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	return netns.Run(ctx, name, args...)
}

// nsRun runs a command inside namespace ns.
func nsRun(ctx context.Context, ns, name string, args ...string) (string, error) {
	return netns.RunIn(ctx, ns, name, args...)
}
