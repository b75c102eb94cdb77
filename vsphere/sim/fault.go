package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// FaultKind is how one SOAP call fails (docs/architecture.md, "Safety
// promises": the fault kinds every writing workflow is walked through).
type FaultKind string

const (
	// FaultSOAP answers with the SOAP fault FaultPlan.Fault names; the call
	// is not executed.
	FaultSOAP FaultKind = "soap"
	// FaultTaskError answers a *_Task call with a task that ends in the
	// fault FaultPlan.Fault names, nothing changed; any other call fails as
	// FaultSOAP.
	FaultTaskError FaultKind = "task-error"
	// FaultTimeout executes the call and never answers: the connection is
	// held until the client gives up (or the server closes).
	FaultTimeout FaultKind = "timeout"
	// FaultDropBefore closes the connection before the call reaches
	// vCenter: nothing happened.
	FaultDropBefore FaultKind = "drop-before"
	// FaultDropAfter executes the call (a task to its end), then closes the
	// connection: the change happened, the answer was lost.
	FaultDropAfter FaultKind = "drop-after"
	// FaultDown drops this call and every later one, on every connection,
	// until Up: vCenter gone (rebooting), back later.
	FaultDown FaultKind = "down"
	// FaultSessionExpired ends the caller's session and answers this call,
	// and every later one of that session, with NotAuthenticated; a new
	// login works.
	FaultSessionExpired FaultKind = "session-expired"
)

// FaultKinds lists every kind, SOAP faults apart, in a stable order.
func FaultKinds() []FaultKind {
	return []FaultKind{FaultSOAP, FaultTaskError, FaultTimeout, FaultDropBefore, FaultDropAfter, FaultDown, FaultSessionExpired}
}

// SOAPFaults are the faults FaultSOAP and FaultTaskError carry, by name.
func SOAPFaults() []string {
	return []string{"SystemError", "NoPermission", "InvalidState", "TaskInProgress", "HostCommunication", "ConcurrentAccess"}
}

// newSOAPFault is the vSphere fault called name, about obj.
func newSOAPFault(name string, obj types.ManagedObjectReference) (types.BaseMethodFault, error) {
	switch name {
	case "SystemError":
		return &types.SystemError{Reason: "injected by the simulator"}, nil
	case "NoPermission":
		return &types.NoPermission{Object: &obj, PrivilegeId: "System.Modify"}, nil
	case "InvalidState":
		return &types.InvalidState{}, nil
	case "TaskInProgress":
		return &types.TaskInProgress{Task: obj}, nil
	case "HostCommunication":
		return &types.HostCommunication{}, nil
	case "ConcurrentAccess":
		return &types.ConcurrentAccess{}, nil
	}
	return nil, fmt.Errorf("sim: fault %q: want one of %s", name, strings.Join(SOAPFaults(), ", "))
}

// FaultPlan fails one SOAP call: the Call-th (1-based) of the calls
// Counted admits, counted from InjectFault on.
type FaultPlan struct {
	Call int
	// Counted admits the calls that count, by method name (e.g.
	// "UpdatePortGroup", "ReconfigVM_Task"); nil counts every call.
	Counted func(method string) bool
	Kind    FaultKind
	// Fault names the SOAP fault of FaultSOAP and FaultTaskError (one of
	// SOAPFaults).
	Fault string
}

func (p FaultPlan) validate() error {
	if p.Call < 1 {
		return fmt.Errorf("sim: fault plan call %d: want the 1-based index of a call", p.Call)
	}
	if !slices.Contains(FaultKinds(), p.Kind) {
		return fmt.Errorf("sim: fault kind %q: want one of %v", p.Kind, FaultKinds())
	}
	if p.Kind == FaultSOAP || p.Kind == FaultTaskError {
		if _, err := newSOAPFault(p.Fault, types.ManagedObjectReference{}); err != nil {
			return err
		}
	}
	return nil
}

func (p FaultPlan) String() string {
	s := fmt.Sprintf("%s at call %d", p.Kind, p.Call)
	if p.Kind == FaultSOAP || p.Kind == FaultTaskError {
		s += " (" + p.Fault + ")"
	}
	return s
}

// faultSeam sits in front of vcsim's SOAP endpoint: it records every call
// and fails the one a FaultPlan picks. vcsim's own models stay unmodified.
type faultSeam struct {
	svc *simulator.Service

	mu      sync.Mutex
	plan    *FaultPlan
	counted int
	down    bool
	expired map[string]bool // session cookies a FaultSessionExpired ended
	calls   []string
	// role is the user's role ("" or "admin": every privilege), privileges
	// what it holds (see SetRole).
	role       string
	privileges []string
	// closing is closed when the server stops, releasing held calls.
	closing chan struct{}
}

func newFaultSeam(svc *simulator.Service) *faultSeam {
	return &faultSeam{svc: svc, expired: map[string]bool{}, closing: make(chan struct{})}
}

// install routes SOAP POSTs to the seam; vcsim's handler for the path
// (registered later, without a method) serves the rest.
func (f *faultSeam) install(mux *http.ServeMux, path string) {
	mux.Handle("POST "+path, f)
}

// loginMethods work without a session (a session expired included).
var loginMethods = []string{"Login", "LoginByToken", "LoginExtensionByCertificate", "RetrieveServiceContent", "Logout"}

// decision is what the seam does with one call.
type decision struct {
	kind  FaultKind // "" passes the call through
	fault string
}

func (f *faultSeam) decide(method, cookie string) decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return decision{kind: FaultDown}
	}
	f.calls = append(f.calls, method)
	if f.expired[cookie] && !slices.Contains(loginMethods, method) {
		return decision{kind: FaultSessionExpired}
	}
	p := f.plan
	if p == nil || p.Counted != nil && !p.Counted(method) {
		return decision{}
	}
	f.counted++
	if f.counted != p.Call {
		return decision{}
	}
	switch p.Kind {
	case FaultDown:
		f.down = true
	case FaultSessionExpired:
		if cookie != "" {
			f.expired[cookie] = true
		}
	}
	return decision{kind: p.Kind, fault: p.Fault}
}

func (f *faultSeam) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		http.Error(w, "read the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var method string
	var this types.ManagedObjectReference
	var req any
	if m, err := simulator.UnmarshalBody(types.TypeFunc(), body); err == nil {
		method, this, req = m.Name, m.This, m.Body
	}
	cookie := ""
	if c, err := r.Cookie(soap.SessionCookieName); err == nil {
		cookie = c.Value
	}
	d := f.decide(method, cookie)
	switch d.kind {
	case "":
		if hp, ok := req.(*types.HasPrivilegeOnEntities); ok {
			f.writePrivileges(w, hp)
			return
		}
		if fault := f.refused(method, this); fault != nil {
			writeFault(w, fault)
			return
		}
		f.svc.ServeSDK(w, r)
	case FaultSOAP:
		fault, _ := newSOAPFault(d.fault, this)
		writeFault(w, fault)
	case FaultTaskError:
		fault, _ := newSOAPFault(d.fault, this)
		if !strings.HasSuffix(method, "_Task") {
			writeFault(w, fault)
			return
		}
		writeTaskResponse(w, method, f.failedTask(this, method, fault))
	case FaultTimeout:
		f.execute(r)
		select {
		case <-r.Context().Done():
		case <-f.closing:
		}
		panic(http.ErrAbortHandler)
	case FaultDropBefore, FaultDown:
		panic(http.ErrAbortHandler)
	case FaultDropAfter:
		f.execute(r)
		panic(http.ErrAbortHandler)
	case FaultSessionExpired:
		f.endSession(cookie)
		writeFault(w, &types.NotAuthenticated{NoPermission: types.NoPermission{Object: &this, PrivilegeId: "System.View"}})
	}
}

// execute runs the call in vcsim and waits for the task it started, if
// any, to end; the answer is thrown away.
func (f *faultSeam) execute(r *http.Request) {
	rec := httptest.NewRecorder()
	f.svc.ServeSDK(rec, r)
	var env struct {
		Body struct {
			Res struct {
				Returnval *types.ManagedObjectReference `xml:"returnval"`
			} `xml:",any"`
		} `xml:"Body"`
	}
	if xml.Unmarshal(rec.Body.Bytes(), &env) != nil || env.Body.Res.Returnval == nil || env.Body.Res.Returnval.Type != "Task" {
		return
	}
	if t, ok := f.svc.Context.Map.Get(*env.Body.Res.Returnval).(*simulator.Task); ok {
		t.Wait()
	}
}

// failedTask starts a task on obj that ends in fault without doing anything.
func (f *faultSeam) failedTask(obj types.ManagedObjectReference, method string, fault types.BaseMethodFault) types.ManagedObjectReference {
	ctx := &simulator.Context{Context: context.Background(), Map: f.svc.Context.Map}
	task := simulator.CreateTask(obj, method, func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	return task.Run(ctx)
}

// endSession removes the session of cookie from vcsim, as vCenter does
// when a session idles out.
func (f *faultSeam) endSession(cookie string) {
	if cookie == "" {
		return
	}
	ctx := &simulator.Context{Context: context.Background(), Map: f.svc.Context.Map,
		Session: &simulator.Session{UserSession: types.UserSession{Key: "carpvm-sim-fault-seam"}}}
	sm := f.svc.Context.Map.SessionManager()
	ctx.Map.WithLock(ctx, sm, func() {
		_ = sm.TerminateSession(ctx, &types.TerminateSession{SessionId: []string{cookie}})
	})
}

// writeFault answers with fault as vCenter does: HTTP 500, a SOAP Fault
// whose detail is the typed fault.
func writeFault(w http.ResponseWriter, fault types.BaseMethodFault) {
	kind := strings.TrimPrefix(fmt.Sprintf("%T", fault), "*types.")
	var buf bytes.Buffer
	buf.WriteString(xml.Header + `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>`)
	_ = xml.EscapeText(&buf, []byte(kind+" injected by the simulator"))
	buf.WriteString(`</faultstring><detail>`)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: kind + "Fault"}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "xmlns"}, Value: "urn:vim25"},
		{Name: xml.Name{Local: "xsi:type"}, Value: kind},
	}}
	if err := enc.EncodeElement(fault, start); err != nil {
		http.Error(w, "encode the fault: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_ = enc.Flush()
	buf.WriteString(`</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(buf.Bytes())
}

// writeTaskResponse answers a *_Task call with task.
func writeTaskResponse(w http.ResponseWriter, method string, task types.ManagedObjectReference) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `%s<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><%sResponse xmlns="urn:vim25"><returnval type="Task">`, xml.Header, method)
	_ = xml.EscapeText(&buf, []byte(task.Value))
	fmt.Fprintf(&buf, `</returnval></%sResponse></soapenv:Body></soapenv:Envelope>`, method)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// InjectFault arms p, replacing any plan armed before, and starts counting
// calls (and recording them, see Calls) afresh.
func (s *Server) InjectFault(p FaultPlan) error {
	if err := p.validate(); err != nil {
		return err
	}
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan, f.counted, f.calls = &p, 0, nil
	return nil
}

// ClearFault disarms the plan, ends a FaultDown (vCenter is back) and
// starts recording calls afresh. Sessions a FaultSessionExpired ended stay
// ended.
func (s *Server) ClearFault() {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan, f.counted, f.calls, f.down = nil, 0, nil, false
}

// Up ends a FaultDown: calls are answered again. A plan that fired does
// not fire again.
func (s *Server) Up() {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = false
}

// Calls are the SOAP methods called since the last InjectFault or
// ClearFault, in order, those a FaultDown dropped left out: a clean run's
// calls are what a walk injects a fault into, one by one.
func (s *Server) Calls() []string {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}
