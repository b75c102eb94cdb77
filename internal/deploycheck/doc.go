// Package deploycheck holds the tests of the monitoring files shipped in
// docs/deploy: the Prometheus alerting rules (checked and unit-tested with
// promtool), the Grafana dashboard, whose every metric name must be one
// that carpvm's node or drill really exports, the Kubernetes manifests,
// decoded strictly into the Kubernetes API's own types (each running the
// image its command needs). It has no code of its own.
package deploycheck
