package vsphere

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// DefaultCallTimeout bounds one SOAP call (a task's wait for its next
// update included): a vCenter that stops answering fails the call instead
// of hanging carpvm.
const DefaultCallTimeout = 10 * time.Minute

// resilientRoundTripper bounds each call by a timeout, and when vCenter
// answers NotAuthenticated (the session expired) it logs in again once with
// the same credentials and sends the call again, as govc's keep-alive
// does. vCenter refuses an unauthenticated call before executing it, so a
// call sent again was never executed: no confirmed write is redone.
type resilientRoundTripper struct {
	rt soap.RoundTripper
	// login logs in again; set once the session manager exists.
	login       func(context.Context) error
	callTimeout atomic.Int64 // time.Duration
	relogins    atomic.Int64
}

func methodName(req soap.HasFault) string {
	t := reflect.TypeOf(req)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.TrimSuffix(t.Name(), "Body")
}

func (r *resilientRoundTripper) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	err := r.call(ctx, req, res)
	if err == nil || r.login == nil || !fault.Is(err, &types.NotAuthenticated{}) {
		return err
	}
	switch req.(type) {
	case *methods.LoginBody, *methods.LogoutBody:
		return err
	}
	if lerr := r.login(ctx); lerr != nil {
		return fmt.Errorf("the session expired and logging in again failed: %w", lerr)
	}
	r.relogins.Add(1)
	clearFault(res)
	return r.call(ctx, req, res)
}

// call is one round trip, bounded by the call timeout.
func (r *resilientRoundTripper) call(ctx context.Context, req, res soap.HasFault) error {
	d := time.Duration(r.callTimeout.Load())
	if d <= 0 {
		return r.rt.RoundTrip(ctx, req, res)
	}
	callCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	err := r.rt.RoundTrip(callCtx, req, res)
	if err != nil && ctx.Err() == nil && errors.Is(callCtx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("vCenter did not answer %s within %s (it may have executed it): %w", methodName(req), d, err)
	}
	return err
}

// clearFault empties the fault a first answer left in res, before res is
// decoded again.
func clearFault(res soap.HasFault) {
	v := reflect.ValueOf(res)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	if f := v.Elem().FieldByName("Fault_"); f.IsValid() && f.CanSet() {
		f.Set(reflect.Zero(f.Type()))
	}
}

// OpenOption is a choice of Open.
type OpenOption func(*openOptions)

type openOptions struct{ callTimeout time.Duration }

// WithCallTimeout bounds each SOAP call, those of the login included, by d
// (DefaultCallTimeout unless given; 0 or less: unbounded).
func WithCallTimeout(d time.Duration) OpenOption {
	return func(o *openOptions) { o.callTimeout = d }
}

// SetCallTimeout bounds each SOAP call of s by d (DefaultCallTimeout
// unless set; 0 or less: unbounded).
func (s *Session) SetCallTimeout(d time.Duration) { s.resilient.callTimeout.Store(int64(d)) }

// Relogins is how many times s logged in again after its session expired.
func (s *Session) Relogins() int { return int(s.resilient.relogins.Load()) }

// readAcrossRelogin runs read, and runs it once more when it failed after
// the session was renewed meanwhile: the objects a read makes in its
// session (a container view) end with the session, so the rest of the
// read fails with ManagedObjectNotFound in the new one. Only for reads,
// which are safe to repeat.
func readAcrossRelogin[T any](s *Session, read func() (T, error)) (T, error) {
	n := s.Relogins()
	v, err := read()
	if err != nil && s.Relogins() != n {
		return read()
	}
	return v, err
}

// waitTask waits for task to end. The wait's property collector is the
// session's: after a re-login it waits again in the new session (the task
// itself is vCenter's and outlives the session).
func (s *Session) waitTask(ctx context.Context, task *object.Task) error {
	_, err := readAcrossRelogin(s, func() (struct{}, error) { return struct{}{}, task.Wait(ctx) })
	return err
}
