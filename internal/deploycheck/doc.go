// Package deploycheck holds the tests of the monitoring files shipped in
// docs/deploy: the Prometheus alerting rules (checked and unit-tested with
// promtool) and the Grafana dashboard, whose every metric name must be one
// that carpvm's node or drill really exports. It has no code of its own.
package deploycheck
