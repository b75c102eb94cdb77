package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/viper"
)

// A fleet is several router pairs in one configuration: a carpvm.yaml with
// a pairs list, or a directory of carpvm.yaml files, one pair each. Each
// pair loads into a *Config exactly as a single-pair file does, so the
// commands work on one pair unchanged.
//
// The CARPVM_* overrides of pair and networks apply to a single-pair file
// only (in a fleet they would make every pair the same); CARPVM_VSPHERE_*
// apply to the top-level vsphere a fleet's pairs share, and the password
// variables (CARPVM_VSPHERE_PASSWORD, GOVC_PASSWORD) to every pair.

// pairNamePattern is what a pair's name may be: it names the pair's drill
// lock and history files, so no path separators.
var pairNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// LoadPath loads the pairs of path: a carpvm.yaml (one pair, or a pairs
// list) or a directory of carpvm.yaml files (*.yaml, *.yml), in file name
// order, each one pair named by its pair.name.
func LoadPath(path string, getenv Getenv) ([]*Config, error) {
	return loadPath(path, getenv, Load)
}

// LoadPathLogins loads path's pairs as LoadPath does, but only each pair's
// name and vsphere settings, for a command that only logs in (preflight
// rollback): pair.routers and networks are neither read nor checked, so a
// rollback works even when a pair's networks no longer validate. The
// fleet's own structure (names, keys, no password in the file) is checked
// as LoadPath checks it.
func LoadPathLogins(path string, getenv Getenv) ([]*Config, error) {
	return loadPath(path, getenv, loadLogin)
}

// loadPair loads one pair from v: Load, or loadLogin.
type loadPair func(v *viper.Viper, getenv Getenv) (*Config, error)

// loadLogin is a pair's name and vsphere settings, nothing else.
func loadLogin(v *viper.Viper, getenv Getenv) (*Config, error) {
	vs, err := LoadVSphere(v, getenv)
	if err != nil {
		return nil, err
	}
	return &Config{Pair: Pair{Name: pairName(v)}, VSphere: vs}, nil
}

// loadPath is LoadPath with load reading each pair.
func loadPath(path string, getenv Getenv, load loadPair) ([]*Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Key: "--config", Msg: fmt.Sprintf("read %s: %v", path, err)}
	}
	if !st.IsDir() {
		v, err := NewViper(path, getenv)
		if err != nil {
			return nil, err
		}
		return loadFleet(v, getenv, load)
	}
	return loadDir(path, getenv, load)
}

// LoadFleet loads the pairs of v: the pairs list when there is one, else
// the single pair of the file as Load reads it.
func LoadFleet(v *viper.Viper, getenv Getenv) ([]*Config, error) {
	return loadFleet(v, getenv, Load)
}

// loadFleet is LoadFleet with load reading each pair.
func loadFleet(v *viper.Viper, getenv Getenv, load loadPair) ([]*Config, error) {
	if !v.InConfig("pairs") {
		c, err := load(v, getenv)
		if err != nil {
			return nil, err
		}
		return []*Config{c}, nil
	}
	errs := checkFileKeys(v, fleetKeys)
	for _, k := range []string{"pair", "networks"} {
		if v.InConfig(k) {
			errs = append(errs, errorf("pairs", "set beside top-level %s; want either one pair (pair, networks) or a pairs list, not both", k))
		}
	}
	if v.InConfig("vsphere.password") {
		errs = append(errs, errorf("vsphere.password", "passwords are not read from the config file; use CARPVM_VSPHERE_PASSWORD, GOVC_PASSWORD or vsphere.password_file"))
	}
	list, ok := v.Get("pairs").([]any)
	if !ok || len(list) == 0 {
		errs = append(errs, errorf("pairs", "want a list of at least one pair {name, pair, networks, vsphere (optional)}"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	shared := sharedVSphere(v)
	var pairs []*Config
	seen := map[string]string{} // name -> where it was first defined
	for i, item := range list {
		where := fmt.Sprintf("pairs[%d]", i)
		m, ok := item.(map[string]any)
		if !ok {
			errs = append(errs, errorf(where, "want a map {name, pair, networks, vsphere}, got %v", item))
			continue
		}
		name := str(m["name"])
		where, nameErr, dupErr := namePair(seen, where, ".name", name)
		errs = append(errs, nameErr)
		errs = append(errs, checkMapKeys(where, m, pairItemKeys)...)
		errs = append(errs, dupErr)
		c, err := loadPairItem(m, name, shared, getenv, load)
		if err != nil {
			errs = append(errs, inPair(where, err))
			continue
		}
		pairs = append(pairs, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pairs, nil
}

// namePair checks the name of the pair at loc (its key loc+nameKey) and
// that no earlier pair in seen has it; it returns how errors name the
// pair ("loc (name)", or loc when the name is unfit), and what is wrong
// with the name and whether it is a duplicate.
func namePair(seen map[string]string, loc, nameKey, name string) (where string, nameErr, dupErr error) {
	where = loc
	if nameErr = checkPairName(loc+nameKey, name); nameErr == nil {
		where = fmt.Sprintf("%s (%s)", loc, name)
	}
	if other, dup := seen[name]; dup && name != "" {
		dupErr = errorf(where+nameKey, "pair %q is defined twice (also %s); want one name per pair", name, other)
	}
	seen[name] = where
	return where, nameErr, dupErr
}

// loadPairItem loads one item of pairs: its own vsphere, or the shared one.
func loadPairItem(m map[string]any, name string, shared map[string]any, getenv Getenv, load loadPair) (*Config, error) {
	pair, _ := m["pair"].(map[string]any)
	pair = maps.Clone(pair)
	if pair == nil {
		pair = map[string]any{}
	}
	if own := str(pair["name"]); own != "" && own != name {
		return nil, errorf("pair.name", "%q, but the pair is named %q; leave pair.name out of a pairs item (name names it)", own, name)
	}
	pair["name"] = name
	doc := map[string]any{"pair": pair, "vsphere": shared}
	if _, ok := m["pair"]; ok && len(pair) == 1 {
		doc["pair"] = m["pair"] // not a map: let Load say what it wants
	}
	if vs, ok := m["vsphere"]; ok {
		doc["vsphere"] = vs
	}
	if nets, ok := m["networks"]; ok {
		doc["networks"] = nets
	}
	pv := viper.New()
	if err := pv.MergeConfigMap(doc); err != nil {
		return nil, errorf("", "%v", err)
	}
	return load(pv, getenv)
}

// sharedVSphere is the top-level vsphere section (with CARPVM_VSPHERE_*
// on top), the password aside: LoadFleet refuses it in the file.
func sharedVSphere(v *viper.Viper) map[string]any {
	vs := map[string]any{}
	for _, k := range vsphereKeys {
		if k != "password" && v.IsSet("vsphere."+k) {
			vs[k] = v.Get("vsphere." + k)
		}
	}
	return vs
}

// loadDir loads a directory of carpvm.yaml files, one pair each.
func loadDir(dir string, getenv Getenv, load loadPair) ([]*Config, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &Error{Key: "--config", Msg: fmt.Sprintf("read %s: %v", dir, err)}
	}
	var files []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		return nil, &Error{Key: "--config", Msg: fmt.Sprintf("directory %s holds no .yaml or .yml file; want one carpvm.yaml per pair", dir)}
	}
	var pairs []*Config
	var errs []error
	seen := map[string]string{}
	for _, file := range files {
		v := viper.New() // no CARPVM_* overrides: they would make every pair the same
		v.SetConfigFile(filepath.Join(dir, file))
		if err := v.ReadInConfig(); err != nil {
			errs = append(errs, &Error{Key: file, Msg: fmt.Sprintf("read: %v", err)})
			continue
		}
		if v.InConfig("pairs") {
			errs = append(errs, errorf(file+".pairs", "a directory's files hold one pair each; want pair and networks"))
			continue
		}
		where, nameErr, dupErr := namePair(seen, file, ".pair.name", v.GetString("pair.name"))
		errs = append(errs, nameErr, dupErr)
		c, err := load(v, getenv)
		if err != nil {
			errs = append(errs, inPair(where, err))
			continue
		}
		pairs = append(pairs, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pairs, nil
}

func checkPairName(key, name string) error {
	if name == "" {
		return errorf(key, "missing; want the pair's name, e.g. site-a")
	}
	if !pairNamePattern.MatchString(name) {
		return errorf(key, "%q: want letters, digits, '.', '_' and '-' (the name names the pair's lock and history files)", name)
	}
	return nil
}

// inPair puts where (pairs[1] (site-b)) in front of the keys of err's
// configuration errors, so that each names its pair.
func inPair(where string, err error) error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, inPair(where, e))
		}
		return errors.Join(errs...)
	}
	if ce, ok := err.(*Error); ok {
		return &Error{Key: where + "." + ce.Key, Msg: ce.Msg}
	}
	return &Error{Key: where, Msg: err.Error()}
}

// Names lists the pairs' names in order.
func Names(pairs []*Config) []string {
	names := make([]string, len(pairs))
	for i, c := range pairs {
		names[i] = c.Pair.Name
	}
	return names
}

// SelectPair returns the pair named name; with no name, the only pair, or
// an error asking for --pair when there are several.
func SelectPair(pairs []*Config, name string) (*Config, error) {
	if name == "" {
		if len(pairs) == 1 {
			return pairs[0], nil
		}
		return nil, &Error{Key: "--pair", Msg: fmt.Sprintf("the configuration holds %d pairs (%s); one pair at a time: --pair NAME", len(pairs), strings.Join(Names(pairs), ", "))}
	}
	if i := slices.IndexFunc(pairs, func(c *Config) bool { return c.Pair.Name == name }); i >= 0 {
		return pairs[i], nil
	}
	return nil, &Error{Key: "--pair", Msg: fmt.Sprintf("no pair named %q; want one of %s", name, strings.Join(Names(pairs), ", "))}
}
