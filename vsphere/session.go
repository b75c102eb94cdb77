package vsphere

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/carpvm/carpvm/config"
)

// Session is a logged-in govmomi connection that counts its SOAP round trips.
type Session struct {
	client  *vim25.Client
	counter *countingRoundTripper
	// resilient bounds each call and logs in again once a session expired.
	resilient *resilientRoundTripper
	manager   *session.Manager
	target    string
	// thumbprint is the pinned certificate thumbprint, "" when none.
	thumbprint string
	// afterWrite, when set (by tests), runs after each write Apply makes.
	afterWrite func()
	// pageObjects, when set (by tests), replaces pageObjects.
	pageObjects int32
}

// countingRoundTripper counts every SOAP request sent through it.
type countingRoundTripper struct {
	rt soap.RoundTripper
	n  atomic.Int64
}

func (c *countingRoundTripper) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	c.n.Add(1)
	return c.rt.RoundTrip(ctx, req, res)
}

// Open logs in to cfg.URL with cfg.Username/Password, verifying TLS
// (against cfg.CACerts when set, else the system's CAs) unless
// cfg.Insecure, or pinning cfg.Thumbprint (else the server's thumbprint in
// cfg.KnownHosts), as govc does with the same settings. Credentials embedded in the URL
// (user:pass@host, as GOVC_URL allows) are used when the configuration has
// none. Errors are *vsphere.Error and never hold the password; a problem
// of the vsphere section itself (URL, username, thumbprint) wraps a
// *config.Error, which commands report as a configuration error.
func Open(ctx context.Context, cfg config.VSphere, opts ...OpenOption) (*Session, error) {
	o := openOptions{callTimeout: DefaultCallTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, &Error{Op: "connect", Err: &config.Error{Key: "vsphere.url", Msg: "no vSphere URL configured; set vsphere.url (or GOVC_URL), e.g. https://vcenter.example/sdk"}}
	}
	u, err := config.CheckVSphereURL(cfg.URL)
	if err != nil {
		return nil, &Error{Op: "connect", Err: err}
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		// govmomi would only fail at the first request ("unsupported
		// protocol scheme"), which reads as vCenter refusing.
		return nil, &Error{Op: "connect", Err: &config.Error{Key: "vsphere.url", Msg: fmt.Sprintf("scheme %q is not supported; want https (or http), e.g. https://vcenter.example/sdk", u.Scheme)}}
	}
	user, pass := cfg.Username, cfg.Password.Reveal()
	if u.User != nil {
		if user == "" {
			user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && pass == "" {
			pass = p
		}
		u.User = nil
	}
	target := u.String()
	if user == "" {
		return nil, &Error{Op: "log in to " + target, Err: &config.Error{Key: "vsphere.username", Msg: "no username configured; set vsphere.username (or GOVC_USERNAME)"}}
	}

	sc := soap.NewClient(u, cfg.Insecure)
	if err := trustCACerts(sc, cfg.CACerts); err != nil {
		return nil, &Error{Op: "connect to " + target, Err: err}
	}
	tp, err := pinnedThumbprint(sc, cfg, u.Host)
	if err != nil {
		return nil, &Error{Op: "connect to " + target, Err: err}
	}
	if tp != "" {
		pinThumbprint(sc, u.Host, tp)
	}
	sc.Namespace = "urn:" + vim25.Namespace
	sc.Version = vim25.Version
	resilient := &resilientRoundTripper{rt: sc}
	resilient.callTimeout.Store(int64(o.callTimeout))
	counter := &countingRoundTripper{rt: resilient}
	vc, err := vim25.NewClient(ctx, counter)
	if err != nil {
		return nil, connectError(ctx, target, u.Host, err)
	}
	vc.Client = sc
	m := session.NewManager(vc)
	login := url.UserPassword(user, pass)
	if err := m.Login(ctx, login); err != nil {
		return nil, &Error{Op: fmt.Sprintf("log in to %s as %s", target, user), Err: err}
	}
	resilient.login = func(ctx context.Context) error { return m.Login(ctx, login) }
	return &Session{client: vc, counter: counter, resilient: resilient, manager: m, target: target, thumbprint: tp}, nil
}

// pinThumbprint makes sc trust exactly the certificate whose SHA-1 or
// SHA-256 thumbprint is tp, checked during the handshake itself (govmomi's
// own fallback would first fail a verified handshake, then retry).
func pinThumbprint(sc *soap.Client, host, tp string) {
	sc.SetThumbprint(host, tp)
	sc.DefaultTransport().TLSClientConfig = &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // verified by VerifyConnection against the pinned thumbprint
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server presented no certificate")
			}
			leaf := cs.PeerCertificates[0]
			if got := soap.ThumbprintSHA1(leaf); got != tp && soap.ThumbprintSHA256(leaf) != tp {
				return fmt.Errorf("server certificate thumbprint %s does not match the pinned vsphere.thumbprint %s", got, tp)
			}
			return nil
		},
	}
}

// connectError explains a failed first request; for an untrusted
// certificate it adds the thumbprint the server presented, so that the
// operator can verify it and pin it.
func connectError(ctx context.Context, target, host string, err error) error {
	if !soap.IsCertificateUntrusted(err) {
		return &Error{Op: "connect to " + target, Err: err}
	}
	hint := "verify the server's certificate, then install its CA, pin its thumbprint with vsphere.thumbprint, or (at your own risk) set vsphere.insecure: true"
	if tp := presentedThumbprint(ctx, host); tp != "" {
		hint += "; the server presented SHA-1 thumbprint " + tp
	}
	return &Error{Op: "connect to " + target, Err: fmt.Errorf("TLS certificate not trusted: %w (%s)", err, hint)}
}

// presentedThumbprint dials host without verification only to read the
// certificate's thumbprint for the error message; nothing is sent.
func presentedThumbprint(ctx context.Context, host string) string {
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "443")
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // reading the thumbprint only
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return ""
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return ""
	}
	return soap.ThumbprintSHA1(certs[0])
}

// Client is the underlying client, for tests and the code that applies changes.
func (s *Session) Client() *vim25.Client { return s.client }

// RoundTrips is the number of SOAP requests sent so far, login included.
func (s *Session) RoundTrips() int { return int(s.counter.n.Load()) }

// Target is the server's URL, without credentials.
func (s *Session) Target() string { return s.target }

// Close logs out and closes idle connections.
func (s *Session) Close(ctx context.Context) error {
	err := s.manager.Logout(ctx)
	s.client.CloseIdleConnections()
	if err != nil {
		return &Error{Op: "log out of " + s.target, Err: err}
	}
	return nil
}
