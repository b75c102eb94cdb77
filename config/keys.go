package config

import (
	"slices"
	"strings"

	"github.com/spf13/viper"
)

// The keys carpvm.yaml may hold, by where they stand. One list: the parser
// reads these and nothing else, so a misspelt key would otherwise be
// silently ignored.
var (
	topKeys      = []string{"vsphere", "pair", "networks"}
	fleetKeys    = []string{"vsphere", "pairs"}                    // the top of a file with a pairs list
	pairItemKeys = []string{"name", "vsphere", "pair", "networks"} // each item of pairs
	vsphereKeys  = []string{"url", "username", "password", "password_file", "insecure", "thumbprint", "ca_certs"}
	pairKeys     = []string{"name", "routers"}
	routerKeys   = []string{"name", "vm", "advskew"}
	networkKeys  = []string{"name", "portgroup", "interface", "vhid", "vips", "master", "groups", "advbase", "pass_file", "vmac", "addresses", "protocol", "mode", "vrrpinterval"}
	groupKeys    = []string{"vhid", "vips", "master"}
)

// checkFileKeys refuses keys of the config file's sections that carpvm
// does not know (the lists' items are checked as they are parsed).
func checkFileKeys(v *viper.Viper, top []string) []error {
	var errs []error
	for _, key := range v.AllKeys() {
		if !v.InConfig(key) {
			continue // a CARPVM_* variable's: Variables knows it
		}
		section, rest, nested := strings.Cut(key, ".")
		switch {
		case !slices.Contains(top, section):
			errs = append(errs, unknownKey(section, section, top))
		case !nested:
		case section == "vsphere" && !slices.Contains(vsphereKeys, rest):
			errs = append(errs, unknownKey(key, rest, vsphereKeys))
		case section == "pair" && !slices.Contains(pairKeys, rest):
			errs = append(errs, unknownKey(key, rest, pairKeys))
		}
	}
	return errs
}

// checkMapKeys refuses the keys of m (at key) that are not in known.
func checkMapKeys(key string, m map[string]any, known []string) []error {
	var errs []error
	for k := range m {
		if !slices.Contains(known, k) {
			errs = append(errs, unknownKey(key+"."+k, k, known))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}

// unknownKey is the error for an unknown key: the closest known one when
// it is a likely misspelling, else the whole list.
func unknownKey(key, word string, known []string) error {
	if near := closest(word, known); near != "" {
		return errorf(key, "unknown key; did you mean %s?", near)
	}
	return errorf(key, "unknown key; want one of %s", strings.Join(known, ", "))
}

// closest returns the known word within an edit distance of a third of
// word's length (at least 1, at most 3) of word, or "".
func closest(word string, known []string) string {
	near := nearest(word, known)
	if near == "" || editDistance(word, near) > min(max(len(word)/3, 1), 3) {
		return ""
	}
	return near
}

// nearest returns the known word at the least edit distance of word, the
// first of those on a tie; "" when known is empty.
func nearest(word string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		if d := editDistance(word, k); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, with a transposition counted
// as one edit (advskw / advksew).
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
