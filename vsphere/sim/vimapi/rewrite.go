package vimapi

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Rewrite returns body, a SOAP response envelope as vcsim encodes it, as
// API version api has it. Elements are dropped or retyped only; the bytes
// of what stays are copied unchanged.
func (s *Schema) Rewrite(api string, body []byte) ([]byte, error) {
	has, ok := s.versions[api]
	if !ok {
		return nil, fmt.Errorf("vimapi: no schema for API version %q (known: %s)", api, strings.Join(s.Versions(), ", "))
	}
	r := &rewriter{v: view{Schema: s, has: has}, body: body}
	r.out.Grow(len(body))
	if err := r.run(); err != nil {
		return nil, fmt.Errorf("vimapi: rewrite response for API %s: %w", api, err)
	}
	return r.out.Bytes(), nil
}

type frameKind int

const (
	container frameKind = iota // Envelope, Body: children are looked at by name
	response                   // FooResponse: children are the method's result
	fault                      // soap Fault: its detail holds a typed fault
	detail                     // the fault's detail: children carry xsi:type
	typed                      // a data object of a known type
	enum                       // an enum: the value is checked at its end
	leaf                       // a primitive or a reference: copied
)

type frame struct {
	kind frameKind
	// typ is the data type of a typed frame, the enum type of an enum
	// frame, the result type of a response frame.
	typ string
	// omit: an enum element that may be left out (its field is optional).
	omit bool
	// start and text hold an enum's start tag and value until its end.
	start, text []byte
}

type rewriter struct {
	v     view
	body  []byte
	out   bytes.Buffer
	stack []frame
	// skip > 0 while inside a dropped element, verbatim > 0 inside one
	// copied without looking (a type the schema cannot speak for).
	skip, verbatim int
}

func (r *rewriter) run() error {
	d := xml.NewDecoder(bytes.NewReader(r.body))
	var prev int64
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		end := d.InputOffset()
		raw := r.body[prev:end]
		prev = end
		if err := r.token(tok, raw); err != nil {
			return err
		}
	}
	if len(r.stack) != 0 || r.skip != 0 || r.verbatim != 0 {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func (r *rewriter) token(tok xml.Token, raw []byte) error {
	switch {
	case r.skip > 0:
		switch tok.(type) {
		case xml.StartElement:
			r.skip++
		case xml.EndElement:
			r.skip--
		}
		return nil
	case r.verbatim > 0:
		switch tok.(type) {
		case xml.StartElement:
			r.verbatim++
		case xml.EndElement:
			r.verbatim--
		}
		r.out.Write(raw)
		return nil
	}
	switch t := tok.(type) {
	case xml.StartElement:
		return r.startElement(t, raw)
	case xml.EndElement:
		return r.endElement(raw)
	case xml.CharData:
		if n := len(r.stack); n > 0 && r.stack[n-1].kind == enum {
			r.stack[n-1].text = append(r.stack[n-1].text, raw...)
			return nil
		}
	}
	r.out.Write(raw)
	return nil
}

func (r *rewriter) endElement(raw []byte) error {
	n := len(r.stack)
	if n == 0 {
		return errors.New("end element without a start")
	}
	f := r.stack[n-1]
	r.stack = r.stack[:n-1]
	if f.kind == enum {
		value, ok := r.v.enumValue(f.typ, string(f.text))
		switch {
		case ok && value == string(f.text):
			r.out.Write(f.start)
			r.out.Write(f.text)
		case f.omit || !ok:
			return nil // dropped with its start tag
		default:
			r.out.Write(f.start)
			xml.EscapeText(&r.out, []byte(value))
		}
	}
	r.out.Write(raw)
	return nil
}

// push opens f for an element whose start tag is raw.
func (r *rewriter) push(f frame, raw []byte) {
	if f.kind == enum {
		f.start = raw
	} else {
		r.out.Write(raw)
	}
	r.stack = append(r.stack, f)
}

func (r *rewriter) copyVerbatim(raw []byte) {
	r.verbatim = 1
	r.out.Write(raw)
}

func (r *rewriter) startElement(t xml.StartElement, raw []byte) error {
	if len(r.stack) == 0 {
		r.push(frame{kind: container}, raw)
		return nil
	}
	parent := r.stack[len(r.stack)-1]
	name := t.Name.Local
	switch parent.kind {
	case container:
		switch {
		case name == "Body" || name == "Header":
			r.push(frame{kind: container}, raw)
		case name == "Fault":
			r.push(frame{kind: fault}, raw)
		case strings.HasSuffix(name, "Response"):
			result, ok := r.v.methods[strings.TrimSuffix(name, "Response")]
			if !ok {
				r.copyVerbatim(raw) // a method newer than the schema
				return nil
			}
			r.push(frame{kind: response, typ: strings.TrimSuffix(result, "[]")}, raw)
		default:
			r.copyVerbatim(raw)
		}
		return nil
	case fault:
		if name == "detail" {
			r.push(frame{kind: detail}, raw)
		} else {
			r.push(frame{kind: leaf}, raw)
		}
		return nil
	case detail:
		return r.open(t, raw, nil, false)
	case response:
		return r.open(t, raw, goType(parent.typ), false)
	case typed:
		if !r.v.hasProp(parent.typ, name) {
			r.skip = 1
			return nil
		}
		fd, ok := r.v.fieldsOf(goType(parent.typ))[name]
		if !ok {
			r.copyVerbatim(raw) // a property vcsim sends that govmomi's type lacks
			return nil
		}
		return r.open(t, raw, fd.typ, fd.omitempty)
	case leaf, enum:
		r.copyVerbatim(raw)
		return nil
	}
	return fmt.Errorf("element %s in a frame of kind %d", name, parent.kind)
}
