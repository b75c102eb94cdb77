// Package config holds carpvm's configuration contract
// (docs/architecture.md, "Configuration"): the vSphere connection, the router pair and the CARP
// networks, loaded with viper from carpvm.yaml, CARPVM_* and GOVC_*
// environment variables, and validated into typed values (netip prefixes,
// hardware addresses) with errors that name the offending key and value.
//
// Secrets are never stored in a printable field: the vSphere password and the
// CARP passphrases are read from files or the environment on demand and are
// redacted by String and MarshalJSON.
package config
