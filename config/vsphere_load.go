package config

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/viper"
)

// LoadVSphere reads the vsphere settings alone, for commands that only log
// in (preflight rollback). GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD,
// GOVC_INSECURE and GOVC_TLS_CA_CERTS fill only what carpvm's own keys
// leave unset (GOVC_TLS_KNOWN_HOSTS has no key of its own): the password
// is CARPVM_VSPHERE_PASSWORD, else vsphere.password_file, else
// GOVC_PASSWORD.
func LoadVSphere(v *viper.Viper, getenv Getenv) (VSphere, error) {
	if v.InConfig("vsphere.password") {
		return VSphere{}, errorf("vsphere.password", "passwords are not read from the config file; use CARPVM_VSPHERE_PASSWORD, GOVC_PASSWORD or vsphere.password_file")
	}
	vs := VSphere{
		URL:          first(v.GetString("vsphere.url"), getenv("GOVC_URL")),
		Username:     first(v.GetString("vsphere.username"), getenv("GOVC_USERNAME")),
		PasswordFile: v.GetString("vsphere.password_file"),
		Thumbprint:   v.GetString("vsphere.thumbprint"),
		CACerts:      first(v.GetString("vsphere.ca_certs"), getenv("GOVC_TLS_CA_CERTS")),
		KnownHosts:   getenv("GOVC_TLS_KNOWN_HOSTS"),
	}
	errs := vs.check()
	if vs.CACerts != "" {
		key := "vsphere.ca_certs"
		if v.GetString(key) == "" {
			key = "GOVC_TLS_CA_CERTS"
		}
		errs = append(errs, CheckCACerts(key, vs.CACerts))
	}
	insecure, err := boolSetting(v, "vsphere.insecure", getenv("GOVC_INSECURE"))
	errs = append(errs, err)
	vs.Insecure = insecure
	switch {
	case getenv("CARPVM_VSPHERE_PASSWORD") != "":
		vs.Password = NewSecret(getenv("CARPVM_VSPHERE_PASSWORD"))
	case vs.PasswordFile != "":
		s, err := ReadSecretFile(vs.PasswordFile)
		if err != nil {
			errs = append(errs, errorf("vsphere.password_file", "%v", err))
		}
		vs.Password = s
	case getenv("GOVC_PASSWORD") != "":
		vs.Password = NewSecret(getenv("GOVC_PASSWORD"))
	}
	return vs, errors.Join(errs...)
}

func boolSetting(v *viper.Viper, key, fallback string) (bool, error) {
	if v.IsSet(key) {
		b, err := strconv.ParseBool(fmt.Sprint(v.Get(key)))
		if err != nil {
			return false, errorf(key, "%q is not a boolean (want true or false)", v.Get(key))
		}
		return b, nil
	}
	if fallback == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(fallback)
	if err != nil {
		return false, errorf("GOVC_INSECURE", "%q is not a boolean (want true or false)", fallback)
	}
	return b, nil
}
