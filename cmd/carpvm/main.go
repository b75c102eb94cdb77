// Command carpvm finds, fixes and drills the vSphere settings a CARP router
// pair needs. See docs/architecture.md for the command contracts.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], SystemIO(os.Getenv), os.Getenv)
	stop()
	os.Exit(code)
}
