package sim

import (
	"errors"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// collection is one retrieval of pagedCollector: which objects its specs
// select, and each one's properties, answered as vcsim answers them (the
// same objects in the same order, the same properties, missing ones and
// faults); only the copying differs.
type collection struct {
	ctx   *simulator.Context
	specs []types.PropertyFilterSpec
	named map[string]*types.TraversalSpec // selection specs by name, request-wide
	done  map[types.ManagedObjectReference]bool
}

func newCollection(ctx *simulator.Context, specs []types.PropertyFilterSpec) *collection {
	return &collection{ctx: ctx, specs: specs,
		named: map[string]*types.TraversalSpec{}, done: map[types.ManagedObjectReference]bool{}}
}

// Why a property path yields no value.
var (
	errNoField      = errors.New("no such property")
	errEmptyField   = errors.New("property unset")
	errInvalidField = errors.New("invalid property path")
)

// selectObjects lists the objects to collect: each object spec's own
// object (unless it is skipped), then every object its traversal reaches.
func (c *collection) selectObjects() ([]types.ManagedObjectReference, types.BaseMethodFault) {
	var own, reached []types.ManagedObjectReference
	for _, spec := range c.specs {
		for _, o := range spec.ObjectSet {
			var fault types.BaseMethodFault
			c.ctx.WithLock(o.Obj, func() {
				obj, ok := c.object(o.Obj)
				if !ok {
					if notTrue(spec.ReportMissingObjectsInResults) {
						fault = &types.ManagedObjectNotFound{Obj: o.Obj}
					}
					return
				}
				if o.SelectSet == nil || notTrue(o.Skip) {
					own = append(own, o.Obj)
				}
				fault = c.traverse(obj, o.SelectSet, &reached)
			})
			if fault != nil {
				return nil, fault
			}
		}
	}
	return append(own, reached...), nil
}

// traverse follows sel from obj, adding the objects not skipped to out.
func (c *collection) traverse(obj reflect.Value, sel []types.BaseSelectionSpec, out *[]types.ManagedObjectReference) types.BaseMethodFault {
	for _, s := range sel {
		if ts, ok := s.(*types.TraversalSpec); ok && ts.Name != "" {
			c.named[ts.Name] = ts
		}
	}
	for _, s := range sel {
		ts, ok := s.(*types.TraversalSpec)
		if !ok {
			if ts = c.named[s.GetSelectionSpec().Name]; ts == nil {
				return &types.InvalidArgument{InvalidProperty: "undefined TraversalSpec name"}
			}
		}
		v, _ := propertyValue(obj, ts.Path, false)
		for _, ref := range referencesIn(v) {
			if notTrue(ts.Skip) {
				*out = append(*out, ref)
			}
			if next, ok := c.object(ref); ok {
				if f := c.traverse(next, ts.SelectSet, out); f != nil {
					return f
				}
			}
		}
	}
	return nil
}

// object is ref's managed object as the caller's session sees it, as its
// vim25/mo struct.
func (c *collection) object(ref types.ManagedObjectReference) (reflect.Value, bool) {
	var obj mo.Reference
	if c.ctx.Session == nil {
		obj = c.ctx.Map.Get(ref)
	} else {
		obj = c.ctx.Session.Get(ref)
	}
	if obj == nil {
		return reflect.Value{}, false
	}
	if c.ctx.Session == nil && ref.Type == "SessionManager" {
		obj = &mo.SessionManager{Self: ref} // nothing of it without a session
	}
	if inner, ok := obj.(interface{ Get() mo.Reference }); ok {
		obj = inner.Get() // vcsim objects kept in a type of their own
	}
	v := reflect.ValueOf(obj).Elem()
	// Extensions (vcsim's and carpvm's) embed the mo struct first.
	for path.Base(v.Type().PkgPath()) != "mo" {
		if v.Kind() != reflect.Struct || v.NumField() == 0 {
			return reflect.Value{}, false
		}
		if v = v.Field(0); v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
	}
	return v, true
}

// collect reads ref's properties that the specs ask for; false when no
// property spec is of its type (or it is gone, or already collected).
func (c *collection) collect(ref types.ManagedObjectReference) (types.ObjectContent, bool) {
	if c.done[ref] {
		return types.ObjectContent{}, false
	}
	oc := types.ObjectContent{Obj: ref}
	matched := false
	c.ctx.WithLock(ref, func() {
		v, ok := c.object(ref)
		if !ok {
			return
		}
		c.done[ref] = true
		t := v.Type()
		for _, spec := range c.specs {
			for _, p := range spec.PropSet {
				if p.Type != ref.Type && p.Type != t.Name() {
					if f, ok := t.FieldByName(p.Type); !ok || !f.Anonymous {
						continue // not this type nor one it extends
					}
				}
				matched = true
				if p.All != nil && *p.All {
					c.all(v, &oc)
				} else {
					c.paths(v, p.PathSet, &oc)
				}
			}
		}
	})
	return oc, matched
}

// all adds every set property of v.
func (c *collection) all(v reflect.Value, oc *types.ObjectContent) {
	t := v.Type()
	for i := range v.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if unset(fv) || f.Name == "Self" {
			continue
		}
		if f.Anonymous {
			c.all(fv, oc)
			continue
		}
		c.add(lowerFirst(f.Name), finalValue(fv, false), oc)
	}
}

// paths adds the properties named, each once.
func (c *collection) paths(v reflect.Value, names []string, oc *types.ObjectContent) {
	seen := map[string]bool{}
	for _, p := range oc.PropSet {
		seen[p.Name] = true
	}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		var f mo.Field
		err := errInvalidField
		var val any
		if f.FromString(name) {
			keyed := f.Key != nil
			val, err = propertyValue(v, f.Path, keyed)
			if err == nil && keyed {
				val, err = keyedValue(reflect.ValueOf(val), f)
			}
		}
		switch err {
		case nil, errEmptyField:
			c.add(name, val, oc)
		default:
			oc.MissingSet = append(oc.MissingSet, types.MissingProperty{Path: name,
				Fault: types.LocalizedMethodFault{Fault: &types.InvalidProperty{Name: name}}})
		}
	}
}

// add puts a property's copy in oc: a value for a session, and without a
// session the fault vCenter gives instead. Unset values are left out.
func (c *collection) add(name string, val any, oc *types.ObjectContent) {
	if c.ctx.Session == nil {
		oc.MissingSet = append(oc.MissingSet, types.MissingProperty{Path: name,
			Fault: types.LocalizedMethodFault{Fault: &types.NotAuthenticated{
				NoPermission: types.NoPermission{Object: &oc.Obj, PrivilegeId: "System.Read"}}}})
		return
	}
	if val == nil {
		return
	}
	oc.PropSet = append(oc.PropSet, types.DynamicProperty{Name: name, Val: copyValue(val)})
}

// propertyValue reads the dotted path p from v.
func propertyValue(v reflect.Value, p string, keyed bool) (any, error) {
	names := strings.Split(p, ".")
	for i, name := range names {
		for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil, nil // an unset step: no value, no fault
			}
			v = v.Elem()
		}
		if v.Kind() == reflect.Slice {
			return nil, errInvalidField // no path goes through an array
		}
		if v.Kind() != reflect.Struct {
			return nil, errInvalidField
		}
		fv := v.FieldByName(upperFirst(name))
		if !fv.IsValid() {
			return nil, errNoField
		}
		if unset(fv) {
			return nil, errEmptyField
		}
		if i == len(names)-1 {
			return finalValue(fv, keyed), nil
		}
		v = fv
	}
	return nil, nil
}

// finalValue is a property's value as a property collector answers it:
// pointers followed, and arrays in their ArrayOf type unless a key picks
// one element.
func finalValue(v reflect.Value, keyed bool) any {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if keyed || v.Kind() != reflect.Slice {
		return v.Interface()
	}
	switch s := v.Interface().(type) {
	case []string:
		return &types.ArrayOfString{String: s}
	case []uint8:
		return &types.ArrayOfByte{Byte: s}
	case types.ByteSlice:
		return &types.ArrayOfByte{Byte: s}
	case []int16:
		return &types.ArrayOfShort{Short: s}
	case []int32:
		return &types.ArrayOfInt{Int: s}
	case []int64:
		return &types.ArrayOfLong{Long: s}
	case []types.ManagedObjectReference:
		return &types.ArrayOfManagedObjectReference{ManagedObjectReference: s}
	}
	kind := strings.TrimPrefix(v.Type().Elem().Name(), "Base")
	at, ok := types.TypeFunc()("ArrayOf" + kind)
	if !ok {
		return v.Interface()
	}
	a := reflect.New(at)
	f := a.Elem().FieldByName(kind)
	if !f.IsValid() || f.Type() != v.Type() {
		return v.Interface()
	}
	f.Set(v)
	return a.Interface()
}

// keyedValue is the element of the array v whose Key is f's, or its
// f.Item property.
func keyedValue(v reflect.Value, f mo.Field) (any, error) {
	if v.Kind() != reflect.Slice {
		return nil, errInvalidField
	}
	for i := range v.Len() {
		item := v.Index(i)
		if item.Kind() == reflect.Interface {
			item = item.Elem()
		}
		if item.Kind() == reflect.Pointer {
			item = item.Elem()
		}
		if item.Kind() != reflect.Struct {
			return nil, errInvalidField
		}
		key := item.FieldByName("Key")
		if !key.IsValid() {
			return nil, errInvalidField
		}
		switch k := key.Interface().(type) {
		case string:
			want, ok := f.Key.(string)
			if !ok {
				return nil, errInvalidField
			}
			if want != k {
				continue
			}
		case int32:
			want, ok := f.Key.(int32)
			if !ok {
				return nil, errInvalidField
			}
			if want != k {
				continue
			}
		default:
			return nil, errInvalidField
		}
		if f.Item == "" {
			return item.Interface(), nil
		}
		return propertyValue(item, f.Item, false)
	}
	return nil, nil
}

// referencesIn lists the objects a traversed property names.
func referencesIn(v any) []types.ManagedObjectReference {
	switch r := v.(type) {
	case types.ManagedObjectReference:
		return []types.ManagedObjectReference{r}
	case *types.ArrayOfManagedObjectReference:
		return r.ManagedObjectReference
	}
	return nil
}

// unset is a nil pointer or an empty string: a property not set.
func unset(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil()
	case reflect.String:
		return v.Len() == 0
	}
	return false
}

// notTrue reads an optional flag that is off unless set to true.
func notTrue(b *bool) bool { return b == nil || !*b }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// copyValue copies a property's value so that it can be encoded after
// its object is unlocked, in the shape a decoded SOAP value has (a
// struct, not a pointer to one).
func copyValue(val any) any {
	switch v := val.(type) {
	case string, bool, int32, int64:
		return v
	case types.ManagedObjectReference:
		return v
	case *types.ArrayOfManagedObjectReference:
		return types.ArrayOfManagedObjectReference{ManagedObjectReference: slices.Clone(v.ManagedObjectReference)}
	}
	rv := reflect.ValueOf(val)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	return deepCopy(rv).Interface()
}

// deepCopy copies v and everything it points to, through its exported
// fields (vim25 types have no others worth copying).
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(deepCopy(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if !holdsReferences(v.Type().Elem()) {
			reflect.Copy(c, v)
			return c
		}
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		t := v.Type()
		for i := range v.NumField() {
			if t.Field(i).IsExported() && holdsReferences(t.Field(i).Type) {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	}
	return v
}

// holdsReferences says whether a value of t may share memory with its
// copy: pointers, interfaces, slices, maps, and structs (which may hold
// them).
func holdsReferences(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Struct:
		return true
	}
	return false
}
