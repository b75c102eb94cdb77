package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/viper"
)

// Getenv looks up an environment variable; os.Getenv in production, a map in tests.
type Getenv func(string) string

// NewViper returns a viper instance that reads the CARPVM_* variables of
// getenv that override keys (vsphere.url <- CARPVM_VSPHERE_URL; see
// Variables) on top of an optional config file. file may be empty.
func NewViper(file string, getenv Getenv) (*viper.Viper, error) {
	v := viper.New()
	for _, ev := range keyVariables() {
		if s := getenv(ev.Name); s != "" {
			v.Set(ev.Key, s)
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, &Error{Key: "--config", Msg: fmt.Sprintf("read %s: %v", file, err)}
		}
	}
	return v, nil
}

// Load builds a validated Config from v; the vsphere settings as
// LoadVSphere reads them. The password is never read from the config file
// itself.
func Load(v *viper.Viper, getenv Getenv) (*Config, error) {
	c := &Config{}
	errs := checkFileKeys(v, topKeys)
	// The vsphere section's errors stand beside the pair's, so that every
	// error is reported at once (config check, and preflight alike).
	vs, vsErr := LoadVSphere(v, getenv)
	c.VSphere = vs

	c.Pair.Name = pairName(v)
	routers, err := parseRouters(v.Get("pair.routers"))
	errs = append(errs, err)
	c.Pair.Routers = routers

	nets, err := parseNetworks(v.Get("networks"))
	errs = append(errs, err)
	c.Networks = nets

	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(vsErr, err)
	}
	if err := errors.Join(vsErr, c.Validate()); err != nil {
		return nil, err
	}
	return c, nil
}

// pairName is the pair's name: pair.name, "routers" when unset.
func pairName(v *viper.Viper) string {
	return first(v.GetString("pair.name"), "routers")
}

func parseRouters(raw any) ([]Router, error) {
	if s, ok := raw.(string); ok { // CARPVM_PAIR_ROUTERS=router-002,router-003
		raw = splitList(s)
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, errorf("pair.routers", "want a list of two router VM names, e.g. [router-002, router-003]")
	}
	var routers []Router
	var errs []error
	for i, item := range list {
		key := fmt.Sprintf("pair.routers[%d]", i)
		// Routers listed by name only: the first is the preferred master.
		r := Router{AdvSkew: i * 100}
		switch it := item.(type) {
		case string:
			r.Name, r.VM = it, it
		case map[string]any:
			errs = append(errs, checkMapKeys(key, it, routerKeys)...)
			r.Name = str(it["name"])
			r.VM = first(str(it["vm"]), r.Name)
			if r.Name == "" {
				r.Name = r.VM
			}
			if s, ok := it["advskew"]; ok {
				n, err := intIn(s, 0, 254)
				if err != nil {
					errs = append(errs, errorf(key+".advskew", "%v", err))
				}
				r.AdvSkew = n
			}
		default:
			errs = append(errs, errorf(key, "want a VM name or {name, vm, advskew}, got %v", item))
			continue
		}
		if r.VM == "" {
			errs = append(errs, errorf(key, "router has no name or vm"))
		}
		routers = append(routers, r)
	}
	return routers, errors.Join(errs...)
}

// splitList splits an environment variable's list, comma- or
// space-separated.
func splitList(s string) []any {
	var out []any
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}
