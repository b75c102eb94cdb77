package vimapi

import (
	"bytes"
	"encoding/xml"
	"reflect"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// field is one XML element of a govmomi data type.
type field struct {
	typ       reflect.Type
	omitempty bool
}

// goType is govmomi's type named name, nil when govmomi has none.
func goType(name string) reflect.Type {
	t, ok := types.TypeFunc()(name)
	if !ok {
		return nil
	}
	return t
}

// fieldsOf maps the XML element names of struct type t, its bases'
// (embedded structs) included, to their fields.
func (s *Schema) fieldsOf(t reflect.Type) map[string]field {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if m, ok := s.fields.Load(t); ok {
		return m.(map[string]field)
	}
	m := map[string]field{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, v := range s.fieldsOf(f.Type) {
				m[k] = v
			}
			continue
		}
		tag := f.Tag.Get("xml")
		if tag == "" || tag == "-" || strings.Contains(tag, ",attr") || strings.Contains(tag, ",chardata") {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if i := strings.LastIndexByte(name, ' '); i >= 0 {
			name = name[i+1:] // "urn:vim25 name"
		}
		m[name] = field{typ: f.Type, omitempty: strings.Contains(opts, "omitempty")}
	}
	s.fields.Store(t, m)
	return m
}

// baseOf is the data type t extends (govmomi embeds it first), nil for a
// root such as DynamicData.
func baseOf(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Struct && t.NumField() > 0 {
		if f := t.Field(0); f.Anonymous && f.Type.Kind() == reflect.Struct {
			return f.Type
		}
	}
	return nil
}

// knownAncestor is the name of t or of its nearest base that this version
// has. Boxed arrays (ArrayOfX), which the schema lists only through their
// items, stand for themselves.
func (v view) knownAncestor(t reflect.Type) (string, bool) {
	for ; t != nil; t = baseOf(t) {
		if v.hasType(t.Name()) || strings.HasPrefix(t.Name(), "ArrayOf") {
			return t.Name(), true
		}
	}
	return "", false
}

// xsiType is the element's xsi:type. govmomi's encoder declares the
// XMLSchema-instance namespace on the element itself, under its own prefix.
func xsiType(t xml.StartElement) string {
	for _, a := range t.Attr {
		if a.Name.Local == "type" && (a.Name.Space == "xsi" || strings.HasSuffix(a.Name.Space, "XMLSchema-instance")) {
			return a.Value
		}
	}
	return ""
}

var timeType = reflect.TypeOf(time.Time{})

// open starts an element declared as type declared (nil when unknown; a
// pointer or slice stands for its element) with start tag raw.
func (r *rewriter) open(t xml.StartElement, raw []byte, declared reflect.Type, omitempty bool) error {
	if xsi := xsiType(t); xsi != "" {
		if strings.Contains(xsi, ":") { // xsd:string and the other primitives
			r.push(frame{kind: leaf}, raw)
			return nil
		}
		gt := goType(xsi)
		if gt == nil {
			r.copyVerbatim(raw)
			return nil
		}
		name, ok := r.v.knownAncestor(gt)
		if !ok {
			r.skip = 1
			return nil
		}
		if name != xsi {
			raw = bytes.Replace(raw, []byte(`type="`+xsi+`"`), []byte(`type="`+name+`"`), 1)
			gt = goType(name)
		}
		declared = gt
	}
	for declared != nil && (declared.Kind() == reflect.Pointer || declared.Kind() == reflect.Slice && declared.Elem().Kind() != reflect.Uint8) {
		declared = declared.Elem()
	}
	switch {
	case declared == nil || declared.Kind() == reflect.Interface:
		r.copyVerbatim(raw) // no type to check it against
	case declared.Kind() == reflect.Struct && declared != timeType && declared.Name() != "ManagedObjectReference":
		r.push(frame{kind: typed, typ: declared.Name()}, raw)
	case declared.Kind() == reflect.String && r.isEnum(declared.Name()):
		r.push(frame{kind: enum, typ: declared.Name(), omit: omitempty}, raw)
	default:
		r.push(frame{kind: leaf}, raw)
	}
	return nil
}

func (r *rewriter) isEnum(name string) bool {
	_, ok := r.v.enums[name]
	return ok
}
