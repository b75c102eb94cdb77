package vsphere_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// TestOpenTrustsAsGovcDoes: carpvm verifies the server against the CA
// file govc's GOVC_TLS_CA_CERTS names (vsphere.ca_certs), or pins the
// thumbprint of govc's GOVC_TLS_KNOWN_HOSTS file; a file that is not
// there or holds no certificate is a configuration error naming the key.
func TestOpenTrustsAsGovcDoes(t *testing.T) {
	srv := startSim(t, sim.Default())
	other := startSim(t, sim.Default()) // another self-signed certificate
	ctx := context.Background()
	dir := t.TempDir()
	files := 0
	ca := func(s *sim.Server) string {
		files++
		path := filepath.Join(dir, fmt.Sprintf("sim%d.env", files))
		if err := s.WriteCredentials(path); err != nil {
			t.Fatal(err)
		}
		return sim.CertificatePath(path)
	}

	byCA := srv.VSphereConfig()
	byCA.Thumbprint, byCA.CACerts = "", ca(srv)
	open(t, byCA)

	wrongCA := byCA
	wrongCA.CACerts = ca(other)
	_, err := vsphere.Open(ctx, wrongCA)
	wantVSphereError(t, err, srv.Password.Reveal(), "certificate")

	for name, file := range map[string]string{"missing": filepath.Join(dir, "nothing.pem"), "not PEM": writeFile(t, dir, "junk.pem", "junk\n")} {
		bad := byCA
		bad.CACerts = file
		_, err := vsphere.Open(ctx, bad)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Key != "vsphere.ca_certs" {
			t.Errorf("%s CA file: %v, want a config error on vsphere.ca_certs", name, err)
		}
	}

	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	byKnownHosts := srv.VSphereConfig()
	byKnownHosts.Thumbprint = ""
	byKnownHosts.KnownHosts = writeFile(t, dir, "known_hosts", "elsewhere:443 "+other.Thumbprint+"\n"+u.Host+" "+srv.Thumbprint+"\n")
	open(t, byKnownHosts)

	unknown := byKnownHosts
	unknown.KnownHosts = writeFile(t, dir, "known_hosts_other", u.Host+" "+other.Thumbprint+"\n")
	_, err = vsphere.Open(ctx, unknown)
	wantVSphereError(t, err, srv.Password.Reveal(), "thumbprint")
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
