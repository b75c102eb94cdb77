package jsondoc

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
)

// Version is the version of every document's format; it changes when a
// field is renamed or removed (adding one does not).
const Version = "v1"

// Format is the "format" value of a document of kind: "carpvm.KIND/v1".
func Format(kind string) string { return "carpvm." + kind + "/" + Version }

// zeroTime is how encoding/json writes a zero time.Time.
const zeroTime = `"0001-01-01T00:00:00Z"`

// Write encodes v, indented, as a document of kind.
func Write(w io.Writer, kind string, v any) error {
	raw, err := Marshal(kind, v)
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

// Marshal is Write's encoding: the document, indented, with a newline.
func Marshal(kind string, v any) ([]byte, error) {
	raw, err := json.Marshal(emptySlices(reflect.ValueOf(v)).Interface())
	if err != nil {
		return nil, fmt.Errorf("json %s: %w", kind, err)
	}
	if string(raw) == "null" {
		raw = []byte("[]")
	}
	raw, err = clean(raw, Format(kind), true)
	if err != nil {
		return nil, fmt.Errorf("json %s: %w", kind, err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("json %s: %w", kind, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// clean rewrites an encoded value: members holding a zero time are
// dropped, renamed members renamed, and, when top, format is put first
// in the object (in each object of the list).
func clean(raw json.RawMessage, format string, top bool) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return raw, nil
	}
	switch raw[0] {
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range elems {
			c, err := clean(e, format, top)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(c)
		}
		b.WriteByte(']')
		return b.Bytes(), nil
	case '{':
		return cleanObject(raw, format, top)
	}
	return raw, nil
}

func cleanObject(raw json.RawMessage, format string, top bool) (json.RawMessage, error) {
	var o object
	if top {
		f, _ := json.Marshal(format)
		o.member("format", f)
	}
	err := eachMember(raw, func(key string, val json.RawMessage) error {
		if string(val) == zeroTime || top && key == "format" {
			return nil
		}
		val, err := clean(val, format, false)
		if err == nil {
			o.member(key, val)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return o.close(), nil
}

// object builds a JSON object member by member.
type object struct {
	b bytes.Buffer
	n int
}

func (o *object) member(key string, val []byte) {
	if o.n == 0 {
		o.b.WriteByte('{')
	} else {
		o.b.WriteByte(',')
	}
	k, _ := json.Marshal(key)
	o.b.Write(k)
	o.b.WriteByte(':')
	o.b.Write(val)
	o.n++
}

func (o *object) close() []byte {
	if o.n == 0 {
		o.b.WriteByte('{')
	}
	o.b.WriteByte('}')
	return o.b.Bytes()
}

// errNotObject is eachMember's error for a value that is no JSON object.
var errNotObject = errors.New("not a JSON object")

// eachMember calls fn with each member of the JSON object raw, in order.
func eachMember(raw json.RawMessage, fn func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errNotObject
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return err
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
	return nil
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// emptySlices returns a copy of v in which every nil slice reachable
// through exported fields, slices, maps and pointers is an empty one, so
// that it encodes as [] rather than null. v itself is not changed; values
// that encode themselves (json.Marshaler, encoding.TextMarshaler: times,
// addresses, MACs) are left as they are.
func emptySlices(v reflect.Value) reflect.Value {
	if !v.IsValid() {
		return reflect.ValueOf([]any{})
	}
	t := v.Type()
	if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return v
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(t.Elem())
		c.Elem().Set(emptySlices(v.Elem()))
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(t).Elem()
		c.Set(emptySlices(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(t).Elem()
		c.Set(v)
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				c.Field(i).Set(emptySlices(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return v // []byte encodes as base64
		}
		c := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(emptySlices(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(t, v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), emptySlices(it.Value()))
		}
		return c
	}
	return v
}

// FleetKind is the kind of a fleet's document, which holds one document
// per pair: {"format": "carpvm.fleet/v1", "pairs": [...]}.
const FleetKind = "fleet"

// WriteFleet writes pairs, a slice of one document per pair, as a fleet's
// document, each pair's with "format" the single-pair document's of kind
// (carpvm.preflight/v1), so that one reader serves a pair and a fleet.
func WriteFleet(w io.Writer, kind string, pairs any) error {
	list, err := Marshal(kind, pairs)
	if err != nil {
		return err
	}
	return Write(w, FleetKind, struct {
		Pairs json.RawMessage `json:"pairs"`
	}{list})
}

// EncodeNull encodes the struct v as Write does ([] for nil slices, no
// format member, which the document's Write adds), with the members named
// in null (JSON names) written as null, in their place, or after the
// others when omitempty left them out: for a type's MarshalJSON whose
// fields hold nothing measured, where a 0 or false would read as a
// measurement. v must not itself implement json.Marshaler.
func EncodeNull(v any, null []string) ([]byte, error) {
	raw, err := json.Marshal(emptySlices(reflect.ValueOf(v)).Interface())
	if err != nil || len(null) == 0 {
		return raw, err
	}
	var o object
	seen := map[string]bool{}
	err = eachMember(raw, func(key string, val json.RawMessage) error {
		if slices.Contains(null, key) {
			val, seen[key] = json.RawMessage("null"), true
		}
		o.member(key, val)
		return nil
	})
	if errors.Is(err, errNotObject) {
		return nil, fmt.Errorf("jsondoc: %T is not encoded as an object", v)
	}
	if err != nil {
		return nil, err
	}
	for _, key := range null {
		if !seen[key] {
			o.member(key, []byte("null"))
			seen[key] = true
		}
	}
	return o.close(), nil
}
