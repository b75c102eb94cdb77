package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// benchLine is one result line of `go test -bench`: the benchmark's name
// (without the -GOMAXPROCS suffix) and its metrics by unit.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// scaleColumns are BenchmarkGatherAtScale's figures shown by benchCmd, in
// order: its metric's unit and the column's heading.
var scaleColumns = []struct{ unit, heading string }{
	{"ns/op", "gather s"},
	{"round-trips/op", "round trips"},
	{"preflight-s", "preflight s"},
	{"preflight-peak-rss-MB", "preflight peak RSS MB"},
	{"build-s", "sim build s"},
	{"sim-rss-MB", "sim RSS MB"},
}

const (
	scaleBench = "BenchmarkGatherAtScale/vms="
	fleetBench = "BenchmarkCheckFleetHundred"
)

func benchCmd(args []string) error {
	if len(args) != 1 {
		usage()
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	results, err := readBench(f)
	if err != nil {
		return err
	}
	return writeBenchTable(os.Stdout, results)
}

// benchResult is one benchmark's metrics by unit.
type benchResult struct {
	name    string
	metrics map[string]float64
}

// readBench reads the result lines of go test -bench output, in order.
func readBench(r io.Reader) ([]benchResult, error) {
	var out []benchResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		res := benchResult{name: m[1], metrics: map[string]float64{}}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				res.metrics[f[i+1]] = v
			}
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// writeBenchTable prints the scale figures side by side: preflight at a
// vCenter's scale (5k, 20k, 40k VMs) and the fleet of 100 pairs.
func writeBenchTable(w io.Writer, results []benchResult) error {
	var rows [][]string
	var fleet *benchResult
	for i, r := range results {
		if vms, ok := strings.CutPrefix(r.name, scaleBench); ok {
			row := []string{vms}
			for _, c := range scaleColumns {
				v, ok := r.metrics[c.unit]
				switch {
				case !ok:
					row = append(row, "-")
				case c.unit == "ns/op":
					row = append(row, fmt.Sprintf("%.2f", v/1e9))
				case c.unit == "round-trips/op":
					row = append(row, fmt.Sprintf("%.0f", v))
				default:
					row = append(row, fmt.Sprintf("%.1f", v))
				}
			}
			rows = append(rows, row)
		}
		if r.name == fleetBench {
			fleet = &results[i]
		}
	}
	if len(rows) == 0 && fleet == nil {
		return fmt.Errorf("no %s or %s results in the benchmark output", strings.TrimSuffix(scaleBench, "/vms="), fleetBench)
	}
	if len(rows) > 0 {
		head := []string{"VMs"}
		for _, c := range scaleColumns {
			head = append(head, c.heading)
		}
		widths := make([]int, len(head))
		for _, r := range append([][]string{head}, rows...) {
			for i, cell := range r {
				widths[i] = max(widths[i], len(cell))
			}
		}
		fmt.Fprintln(w, "Preflight at scale (BenchmarkGatherAtScale; goal: preflight <= 10 s, <= 500 MB):")
		for _, r := range append([][]string{head}, rows...) {
			cells := make([]string, len(r))
			for i, cell := range r {
				cells[i] = fmt.Sprintf("%*s", widths[i], cell)
			}
			fmt.Fprintln(w, "  "+strings.Join(cells, "  "))
		}
	}
	if fleet != nil {
		fmt.Fprintf(w, "Fleet (%s; goal: <= 30 s): %.0f pairs on 10 simulated vCenters, 20 ms per call: %.1f s\n",
			fleetBench, fleet.metrics["pairs"], fleet.metrics["s/fleet"])
	}
	return nil
}
