package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	app := &App{IO: SystemIO(os.Getenv), Getenv: os.Getenv, Environ: os.Environ}
	code := runApp(ctx, app, os.Args[1:])
	stop()
	os.Exit(code)
}
