package sim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/carpvm/carpvm/config"
)

// Username is the simulator's login name.
const Username = "carpvm@vsphere.local"

// Server is a running simulated vCenter.
type Server struct {
	// URL is https://HOST:PORT/sdk, without credentials.
	URL string
	// Username and Password log in; the password is a fresh random
	// throwaway for this server, not a secret worth keeping.
	Username string
	Password config.Secret
	// Thumbprint is the SHA-1 thumbprint of the server's freshly generated
	// self-signed certificate, as vSphere clients pin it.
	Thumbprint string
	// Certificate is that certificate.
	Certificate *x509.Certificate
	Topology    Topology

	model  *simulator.Model
	front  *front
	faults *faultSeam
	dir    string
}

// Start builds t and serves it over HTTPS on addr ("" or "127.0.0.1:0" for
// a random loopback port). ctx bounds the building only; the server runs
// until Close.
func Start(ctx context.Context, t Topology, addr string) (*Server, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &AddressError{Addr: addr}
	}
	password, err := randomPassword()
	if err != nil {
		return nil, err
	}
	cert, leaf, err := selfSignedCert(host)
	if err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp("", "carpvm-sim-")
	if err != nil {
		return nil, fmt.Errorf("sim: datastore directory: %w", err)
	}
	model := simulator.VPX()
	model.Datacenter, model.Portgroup, model.Host, model.Cluster, model.ClusterHost = 0, 0, 0, 0, 0
	model.Datastore, model.Machine, model.Autostart = 0, 0, false
	s := &Server{Username: Username, Password: config.NewSecret(password), Topology: t,
		Thumbprint: soap.ThumbprintSHA1(leaf), Certificate: leaf, model: model, dir: dir}
	if err := model.Create(); err != nil {
		s.Close()
		return nil, fmt.Errorf("sim: create model: %w", err)
	}
	advertiseAPI(model.Service.Context, t.API)
	installCollector(model.Service.Context.Map)
	nameTasks(model.Service.Context.Map)
	if err := dispatchStrictDVPortgroups(model.Service.Context.Map); err != nil {
		s.Close()
		return nil, err
	}
	b := &builder{t: t, dir: dir, model: model}
	if err := b.build(ctx); err != nil {
		s.Close()
		return nil, err
	}

	if model.Service.ServeMux == nil {
		model.Service.ServeMux = http.NewServeMux()
	}
	s.faults = newFaultSeam(model.Service)
	s.faults.install(model.Service.ServeMux, model.Service.Context.Map.Path)
	ln, err := listen(addr)
	if err != nil {
		s.Close()
		return nil, err
	}
	if s.front, s.URL, err = serve(model, ln, cert, url.UserPassword(Username, password)); err != nil {
		_ = ln.Close()
		s.Close()
		return nil, err
	}
	return s, nil
}

// newServer starts vcsim's HTTP server, turning its panic on a busy or
// invalid address into an error.
func newServer(model *simulator.Model) (srv *simulator.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sim: listen on %s: %v", model.Service.Listen.Host, r)
		}
	}()
	return model.Service.NewServer(), nil
}

// VSphereConfig is how carpvm connects to s: TLS verified by pinning the
// certificate's thumbprint (not Insecure).
func (s *Server) VSphereConfig() config.VSphere {
	return config.VSphere{URL: s.URL, Username: s.Username, Password: s.Password, Thumbprint: s.Thumbprint}
}

// SetLatency makes the server answer every SOAP call d late, as a vCenter
// at the far end of a WAN link does. Call it before any client does.
func (s *Server) SetLatency(d time.Duration) {
	s.model.DelayConfig.Delay = int(d / time.Millisecond)
}

// Close stops the server and removes its files. It is safe on a partly
// started server.
func (s *Server) Close() {
	if s.faults != nil {
		close(s.faults.closing)
		s.faults = nil
	}
	if s.front != nil {
		s.front.close()
		s.front = nil
	}
	if s.model != nil && s.model.Service != nil {
		s.model.Remove()
		s.model = nil
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
		s.dir = ""
	}
}

func randomPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sim: generate password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// selfSignedCert makes a certificate for the loopback addresses, localhost
// and host (the listen address's host, when it is a name or an address).
func selfSignedCert(host string) (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sim: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sim: serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "carpvm simulator", Organization: []string{"carpvm"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() && !ip.IsUnspecified() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	} else if ip == nil && host != "" && host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sim: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sim: parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, nil
}
