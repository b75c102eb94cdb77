package vimapi

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed schema.txt
var schemaText []byte

// Schema is the vim25 schema, every version at once.
type Schema struct {
	// versions maps an API version to the versions whose additions it
	// includes (its own among them).
	versions map[string]map[string]bool
	types    map[string]dataType
	enums    map[string]enumType
	// methods maps a method to its result type ("-" for none, a trailing
	// "[]" for an array).
	methods map[string]string

	fields sync.Map // reflect.Type → map[string]field, see fieldsOf
}

type dataType struct {
	base, since string
	props       map[string]string // property → the version that added it
}

type enumType struct {
	since  string
	values []string
}

// Load parses the embedded schema; it is parsed once and then shared
// (it never changes).
func Load() (*Schema, error) { return loadOnce() }

var loadOnce = sync.OnceValues(func() (*Schema, error) { return Parse(schemaText) })

// Parse reads a schema in scripts/vim-schema's format.
func Parse(text []byte) (*Schema, error) {
	s := &Schema{versions: map[string]map[string]bool{}, types: map[string]dataType{},
		enums: map[string]enumType{}, methods: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		bad := func(want string) error {
			return fmt.Errorf("vimapi: schema line %d %q: want %s", n, line, want)
		}
		switch f[0] {
		case "version":
			if len(f) < 3 {
				return nil, bad("version API PARENT...")
			}
			set := map[string]bool{}
			for _, p := range f[2:] {
				set[p] = true
			}
			s.versions[f[1]] = set
		case "type":
			if len(f) < 4 {
				return nil, bad("type NAME BASE SINCE PROP:SINCE...")
			}
			t := dataType{base: f[2], since: f[3], props: map[string]string{}}
			for _, p := range f[4:] {
				name, since, ok := strings.Cut(p, ":")
				if !ok {
					return nil, bad("PROP:SINCE, not " + p)
				}
				t.props[name] = since
			}
			s.types[f[1]] = t
		case "enum":
			if len(f) < 3 {
				return nil, bad("enum NAME SINCE VALUE...")
			}
			s.enums[f[1]] = enumType{since: f[2], values: f[3:]}
		case "method":
			if len(f) != 3 {
				return nil, bad("method NAME RESULT")
			}
			s.methods[f[1]] = f[2]
		default:
			return nil, bad("a version, type, enum or method line")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vimapi: read schema: %w", err)
	}
	if len(s.versions) == 0 || len(s.types) == 0 {
		return nil, fmt.Errorf("vimapi: schema has no versions or no types")
	}
	return s, nil
}

// Knows reports whether the schema can answer as API version api; it
// cannot for versions newer than the schema's.
func (s *Schema) Knows(api string) bool {
	_, ok := s.versions[api]
	return ok
}

// Versions lists the API versions the schema knows, sorted.
func (s *Schema) Versions() []string {
	out := make([]string, 0, len(s.versions))
	for v := range s.versions {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// view is the schema as one API version has it.
type view struct {
	*Schema
	has map[string]bool
}

func (v view) hasType(name string) bool {
	t, ok := v.types[name]
	return ok && v.has[t.since]
}

// hasProp reports whether typ (or a base of it) has prop in this version.
// A type the schema lacks altogether (a boxed array, a response) keeps
// all its properties: its items are checked on their own.
func (v view) hasProp(typ, prop string) bool {
	if _, known := v.types[typ]; !known {
		return true
	}
	for typ != "-" {
		t, ok := v.types[typ]
		if !ok {
			return false
		}
		if since, ok := t.props[prop]; ok {
			return v.has[since]
		}
		typ = t.base
	}
	return false
}

// enumValue returns the value an enum of type typ carries in this version
// for value, and false when the enum is not the version's.
func (v view) enumValue(typ, value string) (string, bool) {
	e, ok := v.enums[typ]
	if !ok || !v.has[e.since] || len(e.values) == 0 {
		return "", false
	}
	if slices.Contains(e.values, value) {
		return value, true
	}
	if d, ok := enumDefaults[typ]; ok {
		return d, true
	}
	return e.values[0], true
}

// enumDefaults are the values an unset enum stands for where the enum's
// first value would say something that is not so (vcsim leaves these
// required enums empty).
var enumDefaults = map[string]string{
	"VirtualMachineFaultToleranceState": "notConfigured",
	"VirtualMachineRecordReplayState":   "inactive",
}
