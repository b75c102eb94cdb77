package sim

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim/vimapi"
)

// AddressError is a listen address that is not HOST:PORT: the caller's
// mistake, where a ListenError is the machine's.
type AddressError struct{ Addr string }

func (e *AddressError) Error() string {
	return fmt.Sprintf("sim: listen address %q: want HOST:PORT, e.g. 127.0.0.1:8989", e.Addr)
}

// ListenError is a listen address the simulator cannot serve on (in use,
// not this machine's, not permitted).
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string {
	return fmt.Sprintf("sim: cannot listen on %s: %v", e.Addr, e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// front is the simulator's HTTPS server. vcsim's own server runs behind it
// on a loopback port nobody is told of; front answers every SOAP call as
// the vim25 API version its client asked for (SOAPAction urn:vim25/6.5),
// which vcsim does not: see package vimapi.
type front struct {
	server *http.Server
	vcsim  *simulator.Server
}

// serve starts vcsim's handlers for model behind a front on ln.
func serve(model *simulator.Model, ln net.Listener, cert tls.Certificate, user *url.Userinfo) (*front, string, error) {
	schema, err := vimapi.Load()
	if err != nil {
		return nil, "", err
	}
	if err := checkAdvertisedAPI(model.Service.Context, schema); err != nil {
		return nil, "", err
	}
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: user}
	vcsim, err := newServer(model)
	if err != nil {
		return nil, "", err
	}
	host := ln.Addr().(*net.TCPAddr)
	if host.IP.IsUnspecified() {
		host = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: host.Port}
	}
	u := &url.URL{Scheme: "https", Host: host.String(), Path: vcsim.URL.Path}
	// Links vcsim hands out (datastore files, NFC leases) name the front.
	ctx := model.Service.Context
	ctx.Map.SessionManager().ServiceHostName = u.Host
	ctx.Map.OptionManager().UpdateOptions(&types.UpdateOptions{ChangedValue: []types.BaseOptionValue{
		&types.OptionValue{Key: "vcsim.server.url", Value: u.String()}}})

	f := &front{vcsim: vcsim, server: &http.Server{
		Handler:           &apiVersions{next: model.Service.ServeMux, schema: schema, sdk: vcsim.URL.Path},
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          log.New(discard{}, "", 0),
	}}
	go func() { _ = f.server.ServeTLS(ln, "", "") }()
	return f, u.String(), nil
}

func (f *front) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.server.Shutdown(ctx); err != nil {
		_ = f.server.Close()
	}
	f.vcsim.Close()
}

// discard drops the TLS handshake noise of clients that refuse the
// self-signed certificate (as they should until told to trust it).
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// apiVersions answers SOAP calls to the sdk path as the API version in
// their SOAPAction; other requests, and versions the schema does not know
// (newer than it), go to vcsim unchanged.
type apiVersions struct {
	next   http.Handler
	schema *vimapi.Schema
	sdk    string
}

// requestedAPI is the version in a SOAPAction such as "urn:vim25/6.5".
func requestedAPI(action string) string {
	v, ok := strings.CutPrefix(strings.Trim(action, `"`), "urn:vim25/")
	if !ok {
		return ""
	}
	return v
}

func (a *apiVersions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api := requestedAPI(r.Header.Get("SOAPAction"))
	if r.Method != http.MethodPost || (r.URL.Path != a.sdk && r.URL.Path != a.sdk+"/vimService") || !a.schema.Knows(api) {
		a.next.ServeHTTP(w, r)
		return
	}
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	a.next.ServeHTTP(rec, r)
	body, err := a.schema.Rewrite(api, rec.body.Bytes())
	if err != nil {
		// A wrong answer would fail in the client, far from its cause.
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.code)
	_, _ = w.Write(body)
}

// recorder keeps a response to rewrite it.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.body.Write(p)
}

// listen opens addr, naming it in the error when it cannot.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		}
		return nil, &ListenError{Addr: addr, Err: err}
	}
	return ln, nil
}
