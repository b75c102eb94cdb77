package config

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckVSphereURL parses a vsphere.url (or GOVC_URL) as govc does: https://
// when it names no scheme, /sdk when it names no path. It is the one check
// of a URL: loading a configuration and logging in both call it, so
// `config check` refuses exactly what preflight refuses. The error never
// quotes the URL, which may carry a password.
func CheckVSphereURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if i := strings.Index(s, "://"); i < 0 || !isWord(s[:i]) {
		s = "https://" + s
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, &Error{Key: "vsphere.url", Msg: "not a valid URL; want e.g. https://vcenter.example/sdk"}
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, &Error{Key: "vsphere.url", Msg: fmt.Sprintf("scheme %q: want https (or http), e.g. https://vcenter.example/sdk", u.Scheme)}
	}
	if u.Path == "" {
		u.Path = "/sdk"
	}
	return u, nil
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// NormalizeThumbprint accepts a SHA-1 or SHA-256 certificate thumbprint
// with or without colons, in any case, and returns it as vSphere prints it
// (upper case, colon separated).
func NormalizeThumbprint(s string) (string, error) {
	h := strings.ToUpper(strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s)))
	if len(h) != 40 && len(h) != 64 {
		return "", fmt.Errorf("%q: want a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint, e.g. AB:CD:...", s)
	}
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if !isHex(h[i]) || !isHex(h[i+1]) {
			return "", fmt.Errorf("%q: %q is not hexadecimal", s, h[i:i+2])
		}
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String(), nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

// check refuses the settings vsphere.Open would refuse, every one of them:
// a URL or a thumbprint it cannot use (LoadVSphere checks the CA files,
// whose key depends on where they came from). What only a login can tell
// (no username) is left to it.
func (vs VSphere) check() []error {
	var errs []error
	if strings.TrimSpace(vs.URL) != "" {
		if _, err := CheckVSphereURL(vs.URL); err != nil {
			errs = append(errs, err)
		}
	}
	if vs.Thumbprint != "" {
		if _, err := NormalizeThumbprint(vs.Thumbprint); err != nil {
			errs = append(errs, &Error{Key: "vsphere.thumbprint", Msg: err.Error()})
		}
	}
	return errs
}
