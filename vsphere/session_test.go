package vsphere_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

func startSim(t testing.TB, top sim.Topology) *sim.Server {
	t.Helper()
	srv, err := sim.Start(context.Background(), top, "")
	if err != nil {
		t.Fatalf("sim.Start(%s): %v", top.Name, err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func open(t testing.TB, cfg config.VSphere) *vsphere.Session {
	t.Helper()
	s, err := vsphere.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// wantVSphereError checks that err is a *vsphere.Error mentioning each of
// want and never the password.
func wantVSphereError(t *testing.T, err error, password string, want ...string) {
	t.Helper()
	var ve *vsphere.Error
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T), want a *vsphere.Error", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if password != "" && strings.Contains(err.Error(), password) {
		t.Errorf("error %q contains the password", err)
	}
}

func TestOpenTLS(t *testing.T) {
	srv := startSim(t, sim.Default())
	ctx := context.Background()
	pw := srv.Password.Reveal()

	verified := srv.VSphereConfig()
	verified.Thumbprint = ""
	_, err := vsphere.Open(ctx, verified)
	// The error names the certificate problem and the thumbprint to pin.
	wantVSphereError(t, err, pw, "certificate", srv.Thumbprint)

	wrong := srv.VSphereConfig()
	wrong.Thumbprint = strings.Repeat("AB:", 19) + "AB"
	_, err = vsphere.Open(ctx, wrong)
	wantVSphereError(t, err, pw, "thumbprint")

	s := open(t, srv.VSphereConfig())
	if s.RoundTrips() != 2 {
		t.Errorf("Open took %d round trips, want 2 (service content, login)", s.RoundTrips())
	}
	if s.Target() != srv.URL {
		t.Errorf("Target %q, want %q", s.Target(), srv.URL)
	}

	// The thumbprint may be given without colons, in lower case.
	lower := srv.VSphereConfig()
	lower.Thumbprint = strings.ToLower(strings.ReplaceAll(srv.Thumbprint, ":", ""))
	open(t, lower)

	insecure := srv.VSphereConfig()
	insecure.Thumbprint, insecure.Insecure = "", true
	open(t, insecure)
}

func TestOpenRefused(t *testing.T) {
	srv := startSim(t, sim.Default())
	ctx := context.Background()

	bad := srv.VSphereConfig()
	bad.Password = config.NewSecret("wrong-Passw0rd-value")
	_, err := vsphere.Open(ctx, bad)
	wantVSphereError(t, err, "wrong-Passw0rd-value", "log in", srv.Username)

	// Credentials in the URL, GOVC_URL style, are used and never shown.
	inURL := srv.VSphereConfig()
	inURL.URL = strings.Replace(srv.URL, "https://", "https://"+srv.Username+":"+srv.Password.Reveal()+"@", 1)
	inURL.Username, inURL.Password = "", config.Secret{}
	s := open(t, inURL)
	if strings.Contains(s.Target(), srv.Password.Reveal()) {
		t.Errorf("Target %q shows the password", s.Target())
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	closed := srv.VSphereConfig()
	closed.URL = "https://" + addr + "/sdk"
	_, err = vsphere.Open(ctx, closed)
	wantVSphereError(t, err, srv.Password.Reveal(), "connect", addr)

	_, err = vsphere.Open(ctx, config.VSphere{})
	wantVSphereError(t, err, "", "no vSphere URL")

	_, err = vsphere.Open(ctx, config.VSphere{URL: "https://u:s3cr3t-pw@[::1/sdk"})
	wantVSphereError(t, err, "s3cr3t-pw", "not a valid URL")
}
