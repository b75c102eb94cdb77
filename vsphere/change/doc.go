// Package change describes, as plain data, the changes `carpvm preflight
// --fix` makes to vSphere (the plan entries: object, setting, current,
// desired, check) and the backup document written before they are applied:
// each touched object's previous state and, field by field, the values the
// plan sets, before and after, from which `carpvm preflight rollback`
// restores exactly those fields. It is pure: it imports no govmomi package;
// the vSphere specs and field values a Backup holds are opaque JSON that
// package vsphere encodes and decodes.
package change
