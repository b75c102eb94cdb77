// Package jsondoc is carpvm's one -o json exporter. Every command's JSON
// document goes through Write, so that they all follow the same rules: a
// "format" field naming the document and its version
// ("carpvm.preflight/v1"), first in every top-level object (in each
// object of a top-level list, and of a fleet document's pairs); empty lists as [] rather than null; no
// zero timestamps (the member is left out). One thing has one name across
// commands ("source", not "src"): the types' own JSON tags say so.
package jsondoc
