// Package change describes, as plain data, the changes `carpvm preflight
// --fix` makes to vSphere (docs/architecture.md, "Preflight output": the plan entries
// object, setting, current, desired, check) and the backup document written
// before they are applied, from which `carpvm preflight rollback` restores
// every touched object exactly. It is pure: it imports no govmomi package;
// the previous vSphere specs a Backup holds are opaque JSON documents that
// package vsphere encodes and decodes.
package change
