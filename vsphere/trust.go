package vsphere

import (
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/soap"

	"github.com/carpvm/carpvm/config"
)

// trustCACerts makes sc verify the server against the CA certificates in
// files (vsphere.ca_certs or GOVC_TLS_CA_CERTS) instead of the system's.
func trustCACerts(sc *soap.Client, files string) error {
	if files == "" {
		return nil
	}
	// The configuration's own check first, for the same words at login as
	// at load (a configuration built in code is not loaded).
	if err := config.CheckCACerts("vsphere.ca_certs", files); err != nil {
		return err
	}
	if err := sc.SetRootCAs(files); err != nil {
		return &config.Error{Key: "vsphere.ca_certs", Msg: fmt.Sprintf("%v; want a file of PEM CA certificates (several separated by the path list separator, as GOVC_TLS_CA_CERTS)", err)}
	}
	return nil
}

// pinnedThumbprint is the thumbprint to pin for host: vsphere.thumbprint,
// else host's line in the known-hosts file (GOVC_TLS_KNOWN_HOSTS, govc's
// "HOST THUMBPRINT" lines), else "" (verify against CAs).
func pinnedThumbprint(sc *soap.Client, cfg config.VSphere, host string) (string, error) {
	if cfg.Thumbprint != "" {
		tp, err := config.NormalizeThumbprint(cfg.Thumbprint)
		if err != nil {
			return "", &config.Error{Key: "vsphere.thumbprint", Msg: err.Error()}
		}
		return tp, nil
	}
	if cfg.KnownHosts == "" {
		return "", nil
	}
	if err := sc.LoadThumbprints(cfg.KnownHosts); err != nil {
		return "", &config.Error{Key: "GOVC_TLS_KNOWN_HOSTS", Msg: fmt.Sprintf("%v; want a file of \"HOST THUMBPRINT\" lines", err)}
	}
	known := strings.TrimSpace(sc.Thumbprint(host))
	if known == "" {
		return "", nil
	}
	tp, err := config.NormalizeThumbprint(known)
	if err != nil {
		return "", &config.Error{Key: "GOVC_TLS_KNOWN_HOSTS", Msg: fmt.Sprintf("%s's thumbprint: %v", host, err)}
	}
	return tp, nil
}
