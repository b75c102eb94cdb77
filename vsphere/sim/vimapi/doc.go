// Package vimapi answers a vim25 SOAP response as the API version the
// client asked for has it, as vCenter does: a client speaking 6.5 gets
// neither the properties nor the data types vSphere added later (a type
// it does not know is sent as its nearest ancestor it knows), and every
// enum it is sent holds one of the enum's values.
//
// govmomi's simulator (vcsim) encodes govmomi's newest types whatever the
// client asked; pyVmomi then fails to parse what it does not know, and
// Ansible's community.vmware with it. The schema (schema.txt) is the vim25
// of pyVmomi 6.7.1, the version each type, property, enum and method
// arrived in, written by scripts/vim-schema; a version it does not know
// (newer than 6.7.1) is answered unchanged.
package vimapi
