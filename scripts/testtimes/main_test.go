package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A stream of go test -json events: a passing, a skipped and a failing
// test (with a failing subtest), then the package's result.
const stream = `{"Action":"run","Package":"p","Test":"TestOK"}
{"Action":"output","Package":"p","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"p","Test":"TestOK","Output":"    quiet\n"}
{"Action":"pass","Package":"p","Test":"TestOK","Elapsed":2.5}
{"Action":"output","Package":"p","Test":"TestSkip","Output":"--- SKIP: TestSkip\n"}
{"Action":"skip","Package":"p","Test":"TestSkip","Elapsed":0}
{"Action":"output","Package":"p","Test":"TestBad/sub","Output":"    boom\n"}
{"Action":"fail","Package":"p","Test":"TestBad/sub","Elapsed":7}
{"Action":"output","Package":"p","Test":"TestBad","Output":"--- FAIL: TestBad (7.00s)\n"}
{"Action":"fail","Package":"p","Test":"TestBad","Elapsed":7}
not json at all
{"Action":"output","Package":"p","Output":"FAIL\tp\t9.5s\n"}
{"Action":"fail","Package":"p","Elapsed":9.5}
{"Action":"output","Package":"q","Output":"PASS\n"}
{"Action":"output","Package":"q","Output":"ok  \tq\t0.5s\n"}
{"Action":"pass","Package":"q","Elapsed":0.5}
{"Action":"output","Package":"r","Output":"?   \tr\t[no test files]\n"}
{"Action":"skip","Package":"r","Elapsed":0}
`

func TestEchoPrintsWhatGoTestWould(t *testing.T) {
	var out, events bytes.Buffer
	if err := echo(&out, &events, strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	want := "    boom\n--- FAIL: TestBad (7.00s)\nnot json at all\nFAIL\tp\t9.5s\nok  \tq\t0.5s\n?   \tr\t[no test files]\n"
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out.String(), want)
	}
	if events.String() != stream {
		t.Errorf("events file differs from the stream:\n%s", events.String())
	}
}

func TestReadTimings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(path, []byte(stream), 0o644); err != nil {
		t.Fatal(err)
	}
	tests, pkgs, err := readTimings(path)
	if err != nil {
		t.Fatal(err)
	}
	// Subtests and skips are not counted: a parent's time includes its
	// subtests'.
	wantTests := []timing{{"p TestOK", 2.5, false}, {"p TestBad", 7, true}}
	if len(tests) != len(wantTests) || tests[0] != wantTests[0] || tests[1] != wantTests[1] {
		t.Errorf("tests %v, want %v", tests, wantTests)
	}
	if len(pkgs) != 2 || pkgs[0] != (timing{"p", 9.5, true}) || pkgs[1] != (timing{"q", 0.5, false}) {
		t.Errorf("packages %v, want [{p 9.5 true} {q 0.5 false}]", pkgs)
	}
}
