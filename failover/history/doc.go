// Package history keeps the drills' record: each run's failover.Report
// appended to a JSON-lines file in the history directory (a damaged line is
// skipped and counted, never an error), the trends of each pair, network
// and trigger derived from it, their chart (SVG) and Markdown and table
// reports, and Prometheus textfile metrics for node_exporter. It reads and
// writes reports; it never runs a drill.
package history
