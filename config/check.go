package config

import (
	"errors"

	"github.com/spf13/viper"
)

// FileKind is which of carpvm's two configuration files a file is.
type FileKind string

// The configuration files: the pair's, and a node's.
const (
	KindCarpvm FileKind = "carpvm.yaml"
	KindNode   FileKind = "node.yaml"
)

// KindOf tells the two apart by their keys: a node.yaml has groups at the
// top, a carpvm.yaml a pair and networks, or pairs.
func KindOf(v *viper.Viper) FileKind {
	if v.InConfig("groups") && !v.InConfig("pair") && !v.InConfig("networks") && !v.InConfig("pairs") {
		return KindNode
	}
	return KindCarpvm
}

// CheckVMACs refuses, in every pair, a network whose groups share one
// virtual MAC but not one master (CheckVMACMasters), each error keyed by
// the network (and the pair, when there are several) with its fix.
// Loading accepts such a file, since preflight reports it as a finding;
// config check refuses it.
func CheckVMACs(pairs []*Config) error {
	var errs []error
	for _, c := range pairs {
		for _, n := range c.Networks {
			err := n.CheckVMACMasters()
			var split *VMACSplitError
			if !errors.As(err, &split) {
				continue
			}
			key := "networks." + n.Name + ".groups"
			if len(pairs) > 1 {
				key = "pair " + c.Pair.Name + ": " + key
			}
			errs = append(errs, &Error{Key: key, Msg: err.Error() + ". " + split.Fix()})
		}
	}
	return errors.Join(errs...)
}

// Errors is each error err joins (errors.Join, at any depth), in order;
// err itself when it joins none.
func Errors(err error) []error {
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range joined.Unwrap() {
		out = append(out, Errors(e)...)
	}
	return out
}
