package vsphere

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/vsphere/change"
)

// A spec tree is a vSphere data object in vSphere's JSON encoding, decoded
// into maps (objects), slices and json.Number: the form in which a fix and
// a rollback compare and set single fields of whatever object kind.

const typeNameKey = "_typeName"

// jsonNull is an unset field's value.
var jsonNull = json.RawMessage("null")

func decodeTree(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode spec: %w", err)
	}
	return v, nil
}

// encodeTree encodes a tree canonically: compact, object keys sorted (which
// puts _typeName first, as '_' sorts before the lower-case field names).
func encodeTree(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// Trees hold only what encoding/json decoded.
		panic(fmt.Sprintf("vsphere: encode spec tree: %v", err))
	}
	return b
}

// canonical re-encodes a field value so that equal values compare equal.
func canonical(raw json.RawMessage) (string, error) {
	v, err := decodeTree(raw)
	if err != nil {
		return "", err
	}
	return string(encodeTree(v)), nil
}

// isLeaf says whether diffing stops at v: anything but an object, an
// object of another type than its counterpart, a managed object reference,
// or a boxed primitive ({"_typeName":"long","_value":1}).
func isLeaf(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return true
	}
	if m[typeNameKey] == "ManagedObjectReference" {
		return true
	}
	_, boxed := m["_value"]
	return boxed
}

// diffFields lists the fields in which after differs from before, as deep
// as both are objects of one type; before nil is an object that did not
// exist, listed by after's top-level fields.
func diffFields(before, after any) []change.Field {
	var out []change.Field
	var walk func(path []string, b, a any)
	walk = func(path []string, b, a any) {
		bm, bok := b.(map[string]any)
		am, aok := a.(map[string]any)
		descend := aok && !isLeaf(a) && (b == nil && len(path) == 0 || bok && !isLeaf(b) && bm[typeNameKey] == am[typeNameKey])
		if !descend {
			if string(encodeTree(b)) != string(encodeTree(a)) {
				out = append(out, change.Field{Path: strings.Join(path, "."), Before: encodeTree(b), After: encodeTree(a)})
			}
			return
		}
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			if k != typeNameKey {
				sorted = append(sorted, k)
			}
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			walk(append(slices.Clone(path), k), bm[k], am[k])
		}
	}
	walk(nil, before, after)
	return out
}

// getField is the value at path in tree, JSON null when absent.
func getField(tree any, path string) json.RawMessage {
	v := tree
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return jsonNull
		}
		v = m[k]
	}
	return encodeTree(v)
}

// setField sets path in tree to raw (removing it for null), creating
// objects on the way; tree must be an object.
func setField(tree any, path string, raw json.RawMessage) error {
	v, err := decodeTree(raw)
	if err != nil {
		return err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return fmt.Errorf("set %s: the object has no fields", path)
	}
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if v == nil {
				return nil // already unset
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	last := keys[len(keys)-1]
	if v == nil {
		delete(m, last)
	} else {
		m[last] = v
	}
	return nil
}

// sameValue compares two field values canonically.
func sameValue(a, b json.RawMessage) bool {
	ca, err1 := canonical(a)
	cb, err2 := canonical(b)
	return err1 == nil && err2 == nil && ca == cb
}

// showValue prints a field value for people: "unset" for null, a boxed
// primitive's value alone, compact JSON otherwise.
func showValue(raw json.RawMessage) string {
	v, err := decodeTree(raw)
	if err != nil {
		return string(raw)
	}
	if v == nil {
		return "unset"
	}
	if m, ok := v.(map[string]any); ok {
		if inner, boxed := m["_value"]; boxed {
			v = inner
		} else if m[typeNameKey] == "ManagedObjectReference" {
			return fmt.Sprint(m["value"])
		}
	}
	return string(encodeTree(v))
}

// fieldState is where an object stands on a list of fields.
type fieldState int

const (
	stateBefore fieldState = iota // every field holds its Before value
	stateAfter                    // every field holds its After value
	stateMixed                    // each holds Before or After, not all the same
	stateOther                    // some field holds a third value
)

// compareFields says where tree stands on fields and lists the fields
// holding neither value.
func compareFields(tree any, fields []change.Field) (fieldState, []change.Field) {
	nBefore, nAfter := 0, 0
	var other []change.Field
	for _, f := range fields {
		now := getField(tree, f.Path)
		switch {
		case sameValue(now, f.After):
			nAfter++
		case sameValue(now, f.Before):
			nBefore++
		default:
			other = append(other, change.Field{Path: f.Path, Before: now, After: f.After})
		}
	}
	switch {
	case len(other) > 0:
		return stateOther, other
	case nAfter == len(fields):
		return stateAfter, nil
	case nBefore == len(fields):
		return stateBefore, nil
	}
	return stateMixed, nil
}

// withFields is tree with every field set to its After value (before:
// false) or its Before value (before: true), as a new tree.
func withFields(tree any, fields []change.Field, before bool) (any, error) {
	out, err := decodeTree(encodeTree(tree))
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		v := f.After
		if before {
			v = f.Before
		}
		if err := setField(out, f.Path, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}
