package transition

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const goodLine = `{"format":"carpvm.transition/v1","time":"2026-12-07T02:14:03.25Z","router":"router-002","network":"intranought","vhid":1,"from":"BACKUP","to":"MASTER","reason":"master down","demotion":0}`

func TestParseLine(t *testing.T) {
	got, err := Parse([]byte(goodLine))
	if err != nil {
		t.Fatal(err)
	}
	want := Transition{Time: time.Date(2026, 12, 7, 2, 14, 3, 250e6, time.UTC), Router: "router-002",
		Network: "intranought", VHID: 1, From: "BACKUP", To: "MASTER", Reason: "master down"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
	b, err := Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != goodLine+"\n" {
		t.Fatalf("Marshal:\n%s\nwant\n%s", b, goodLine)
	}
}

func TestParseRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ from, to, want string }{
		"format":      {`"carpvm.transition/v1"`, `"carpvm.transition/v2"`, `"format": "carpvm.transition/v2"`},
		"time":        {`"2026-12-07T02:14:03.25Z"`, `"yesterday"`, `cannot parse "yesterday"`},
		"no router":   {`"router-002"`, `""`, `"router": missing`},
		"vhid":        {`"vhid":1`, `"vhid":256`, `"vhid": 256; want 1..255`},
		"state":       {`"to":"MASTER"`, `"to":"master"`, `"to": "master"; want one of INIT, BACKUP, MASTER`},
		"unknown key": {`"demotion":0`, `"demotion":0,"vhdi":2`, `unknown field "vhdi"`},
		"two values":  {`"demotion":0}`, `"demotion":0} {}`, "more than one JSON value"},
		"negative":    {`"demotion":0`, `"demotion":-1`, `"demotion": -1`},
	} {
		t.Run(name, func(t *testing.T) {
			line := strings.Replace(goodLine, tc.from, tc.to, 1)
			if line == goodLine {
				t.Fatalf("test case does not change the line")
			}
			_, err := Parse([]byte(line))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse(%s) = %v, want an error containing %q", line, err, tc.want)
			}
		})
	}
}

// A malformed line is an error naming the file and line; the lines after
// it are still read.
func TestReadKeepsGoingAfterAMalformedLine(t *testing.T) {
	in := "# night of 7 December\n" + goodLine + "\n\nnot json\n" +
		strings.Replace(goodLine, `"vhid":1`, `"vhid":2`, 1) + "\n" +
		`{"format":"carpvm.transition/v1","x":"` + strings.Repeat("y", MaxLine) + `"}` + "\n" +
		strings.Replace(goodLine, `"vhid":1`, `"vhid":3`, 1) // no final newline
	ts, errs, err := Read(strings.NewReader(in), "night.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var vhids []int
	for _, tr := range ts {
		vhids = append(vhids, tr.VHID)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, vhids); diff != "" {
		t.Fatalf("transitions read (-want +got)\n%s", diff)
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %v, want 2", errs)
	}
	var le *LineError
	if !errors.As(errs[0], &le) || le.File != "night.jsonl" || le.Line != 4 {
		t.Fatalf("first error = %v, want night.jsonl:4", errs[0])
	}
	if !strings.HasPrefix(errs[1].Error(), "night.jsonl:6: line longer than") {
		t.Fatalf("second error = %v, want night.jsonl:6 too long", errs[1])
	}
}

func TestWriterWritesOneLinePerTransition(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	tr := Transition{Time: time.Date(2026, 12, 7, 2, 14, 3, 0, time.UTC), Router: "r1", Network: "n", VHID: 7, From: "INIT", To: "BACKUP", Demotion: 240, Planned: "drill stun"}
	if err := w.Write(tr); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Transition{Router: "r1"}); err == nil || !strings.Contains(err.Error(), `"time": missing`) {
		t.Fatalf("Write of an empty transition = %v, want the missing time named", err)
	}
	ts, errs, err := Read(&buf, "buf")
	if err != nil || len(errs) != 0 {
		t.Fatal(err, errs)
	}
	if diff := cmp.Diff([]Transition{tr}, ts); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
}
