package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const benchOutput = `goos: linux
BenchmarkGatherAtScale/vms=5000-2         	       1	 610000000 ns/op	         9.000 round-trips/op	         1.300 build-s	       312.0 sim-rss-MB	         1.312 preflight-s	        42.10 preflight-peak-rss-MB
BenchmarkGatherAtScale/vms=40000-2        	       1	4500000000 ns/op	        46.00 round-trips/op	        20.50 build-s	      2100 sim-rss-MB	        22.00 preflight-s	        80.40 preflight-peak-rss-MB
BenchmarkCheckFleet/sessions=1-2          	       1	9000000000 ns/op	         8.000 pairs	         9.000 s/fleet
BenchmarkCheckFleetHundred-2              	       1	7500000000 ns/op	       100.0 pairs	         7.512 s/fleet
PASS
`

func TestBenchTable(t *testing.T) {
	res, err := readBench(strings.NewReader(benchOutput))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeBenchTable(&out, res); err != nil {
		t.Fatal(err)
	}
	want := `Preflight at scale (BenchmarkGatherAtScale; goal: preflight <= 10 s, <= 500 MB):
    VMs  gather s  round trips  preflight s  preflight peak RSS MB  sim build s  sim RSS MB
   5000      0.61            9          1.3                   42.1          1.3       312.0
  40000      4.50           46         22.0                   80.4         20.5      2100.0
Fleet (BenchmarkCheckFleetHundred; goal: <= 30 s): 100 pairs on 10 simulated vCenters, 20 ms per call: 7.5 s
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestBenchTableWithoutResults(t *testing.T) {
	res, _ := readBench(strings.NewReader("PASS\nok  \tp\t1s\n"))
	if err := writeBenchTable(&bytes.Buffer{}, res); err == nil || !strings.Contains(err.Error(), "BenchmarkGatherAtScale") {
		t.Errorf("no results: %v; want an error naming the benchmarks", err)
	}
}
