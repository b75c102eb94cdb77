package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// caPEM is a self-signed CA certificate, PEM encoded.
func caPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vcenter CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0), IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// vsphere.ca_certs (or GOVC_TLS_CA_CERTS) is checked when the config
// loads: each file must exist, be readable and hold a PEM certificate.
func TestCACertsCheckedAtLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, body []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("ca.pem", caPEM(t))
	text := write("notes.txt", []byte("the vCenter CA is on the wiki\n"))
	keyOnly := write("key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}))
	brokenCert := write("broken.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
	missing := filepath.Join(dir, "absent.pem")
	list := string(os.PathListSeparator)
	base := "pair: {routers: [a, b]}\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}\n"
	tests := []struct {
		name  string
		file  string // vsphere.ca_certs
		env   string // GOVC_TLS_CA_CERTS
		want  []string
		clean bool
	}{
		{name: "a PEM CA certificate", file: good, clean: true},
		{name: "two files, both good", file: good + list + good, clean: true},
		{name: "missing", file: missing, want: []string{"vsphere.ca_certs", missing, "no such file", "want a file of PEM CA certificates"}},
		{name: "a directory", file: dir, want: []string{"vsphere.ca_certs", dir, "cannot be read", "is a directory"}},
		{name: "no PEM at all", file: text, want: []string{"vsphere.ca_certs", text, "holds no PEM certificate", "-----BEGIN CERTIFICATE-----"}},
		{name: "a key, no certificate", file: keyOnly, want: []string{keyOnly, "holds no PEM certificate", "PRIVATE KEY"}},
		{name: "a certificate block that does not parse", file: brokenCert, want: []string{brokenCert, "certificate 1 does not parse"}},
		{name: "the second of two missing", file: good + list + missing, want: []string{"vsphere.ca_certs", missing, "no such file"}},
		{name: "from GOVC_TLS_CA_CERTS", env: missing, want: []string{"GOVC_TLS_CA_CERTS", missing, "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := base
			if tt.file != "" {
				yaml = "vsphere: {ca_certs: '" + tt.file + "'}\n" + base
			}
			c, err := loadYAML(t, yaml, map[string]string{"GOVC_TLS_CA_CERTS": tt.env})
			if tt.clean {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if c.VSphere.CACerts != tt.file {
					t.Errorf("CACerts = %q, want %q", c.VSphere.CACerts, tt.file)
				}
				return
			}
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
