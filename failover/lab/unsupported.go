//go:build !linux

package lab

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"runtime"

	"github.com/carpvm/carpvm/failover"
)

// ErrNotLinux is returned by every lab operation off Linux: the lab is made
// of Linux network namespaces.
var ErrNotLinux = errors.New("lab: the lab needs Linux network namespaces; not available on " + runtime.GOOS)

// Up needs Linux.
func Up(context.Context, Options, *slog.Logger) (*Lab, bool, error) { return nil, false, ErrNotLinux }

// Down needs Linux.
func Down(context.Context, Options, *slog.Logger) error { return ErrNotLinux }

// Open needs Linux.
func Open(Options, *slog.Logger) (*Lab, error) { return nil, ErrNotLinux }

// Available says why a lab cannot be built here.
func Available(string) error { return ErrNotLinux }

// Status of a lab off Linux: nothing is up.
func (l *Lab) Status(context.Context) Status { return Status{Problems: []string{ErrNotLinux.Error()}} }

// Networks needs Linux.
func (l *Lab) Networks(string) ([]failover.Network, error) { return nil, ErrNotLinux }

// Env drives a lab; off Linux there is none to drive.
type Env struct{ Lab *Lab }

var _ failover.Env = (*Env)(nil)

// Target implements failover.Env.
func (e *Env) Target() string { return "lab" }

// Pair implements failover.Env.
func (e *Env) Pair() string { return "lab" }

// Gate implements failover.Env.
func (e *Env) Gate(context.Context, failover.Network) (string, error) { return "", ErrNotLinux }

// Observe implements failover.Env.
func (e *Env) Observe(context.Context, failover.Network) (failover.Observer, error) {
	return nil, ErrNotLinux
}

// RouterName implements failover.Env.
func (e *Env) RouterName(failover.Network, netip.Addr) string { return "" }

// VIPMAC implements failover.Env.
func (e *Env) VIPMAC(context.Context, failover.Network, string) net.HardwareAddr { return nil }

// Trigger implements failover.Env.
func (e *Env) Trigger(context.Context, failover.Trigger, failover.Network, string) error {
	return ErrNotLinux
}

// Undo implements failover.Env.
func (e *Env) Undo(context.Context, failover.Trigger, failover.Network, string) error {
	return ErrNotLinux
}

// Relearned implements failover.Env.
func (e *Env) Relearned(context.Context, failover.Network, net.HardwareAddr, string, failover.Measurement) (bool, string, error) {
	return false, "", ErrNotLinux
}

// Describe implements failover.Env.
func (e *Env) Describe(failover.Trigger, failover.Network, string) (string, string) { return "", "" }

var _ failover.EffectReader = (*Env)(nil)

// Reads implements failover.EffectReader.
func (e *Env) Reads(failover.Trigger) bool { return false }

// Object implements failover.EffectReader.
func (e *Env) Object(failover.Trigger, failover.Network, string) string { return "" }

// Effect implements failover.EffectReader.
func (e *Env) Effect(context.Context, failover.Trigger, failover.Network, string) (bool, string, error) {
	return false, "", ErrNotLinux
}
