package config

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// caCertsWant is what a CA file must be, said in every error about one.
const caCertsWant = "want a file of PEM CA certificates (the vCenter's CA bundle, e.g. its /certs/download.zip's .crt; several files separated by the path list separator, as GOVC_TLS_CA_CERTS takes them)"

// CheckCACerts checks the CA files of files (vsphere.ca_certs or
// GOVC_TLS_CA_CERTS, named key in the errors): each must exist, be
// readable and hold at least one PEM certificate, and every certificate
// must parse. It is the one check of them: loading a configuration (so
// config check too) and logging in both call it, so a bad bundle is named
// before any connection instead of as a TLS failure.
func CheckCACerts(key, files string) error {
	var errs []error
	for _, file := range filepath.SplitList(files) {
		if err := checkCAFile(file); err != nil {
			errs = append(errs, &Error{Key: key, Msg: err.Error() + "; " + caCertsWant})
		}
	}
	return errors.Join(errs...)
}

// checkCAFile says what is wrong with one CA file, or nil.
func checkCAFile(file string) error {
	b, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file", file)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s cannot be read: %v", file, err)
	}
	certs := 0
	var others []string
	for rest := b; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			if !slices.Contains(others, block.Type) {
				others = append(others, block.Type)
			}
			continue
		}
		certs++
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("%s: certificate %d does not parse: %v", file, certs, err)
		}
	}
	if certs > 0 {
		return nil
	}
	if len(others) > 0 {
		return fmt.Errorf("%s holds no PEM certificate, only %s", file, strings.Join(others, ", "))
	}
	return fmt.Errorf("%s holds no PEM certificate (no \"-----BEGIN CERTIFICATE-----\" block)", file)
}
