package jsondoc

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type inner struct {
	Src   netip.Addr `json:"source"`
	Names []string   `json:"names"`
}

type doc struct {
	Target  string    `json:"target"`
	Items   []inner   `json:"items"`
	Nested  *inner    `json:"nested"`
	Started time.Time `json:"started"`
	Last    time.Time `json:"last"`
	Skip    []string  `json:"skip,omitempty"`
	private []string
}

// The rules every document follows: format first, [] for empty lists
// (nested ones too), zero timestamps left out.
func TestDocumentRules(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := doc{Target: "t", Items: []inner{{Src: netip.MustParseAddr("192.0.2.1")}}, Nested: &inner{}, Last: at}
	got, err := Marshal("test", d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "format": "carpvm.test/v1",
  "target": "t",
  "items": [
    {
      "source": "192.0.2.1",
      "names": []
    }
  ],
  "nested": {
    "source": "",
    "names": []
  },
  "last": "2026-01-02T03:04:05Z"
}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if d.Items[0].Names != nil || d.Nested.Names != nil {
		t.Error("Marshal changed the value it was given")
	}
}

// A top-level list: each object carries format; nil is [].
func TestListsAndNil(t *testing.T) {
	got, err := Marshal("drill", []map[string]int{{"a": 1}, {"b": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(got), `"format": "carpvm.drill/v1"`) != 2 {
		t.Errorf("each element should carry format:\n%s", got)
	}
	var none []map[string]int
	if got, _ := Marshal("drill", none); string(got) != "[]\n" {
		t.Errorf("nil list encodes as %q, want []", got)
	}
}

type pairDoc struct {
	Pair    string    `json:"pair"`
	Names   []string  `json:"names"`
	Started time.Time `json:"started"`
}

// A fleet's document wraps its pairs' documents, each with the format of
// the command's single-pair document first.
func TestFleetDocument(t *testing.T) {
	var b strings.Builder
	if err := WriteFleet(&b, "test", []pairDoc{{Pair: "paris"}, {Pair: "roubaix", Names: []string{"n"}}}); err != nil {
		t.Fatal(err)
	}
	want := `{
  "format": "carpvm.fleet/v1",
  "pairs": [
    {
      "format": "carpvm.test/v1",
      "pair": "paris",
      "names": []
    },
    {
      "format": "carpvm.test/v1",
      "pair": "roubaix",
      "names": [
        "n"
      ]
    }
  ]
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	b.Reset()
	if err := WriteFleet(&b, "test", []pairDoc(nil)); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"format\": \"carpvm.fleet/v1\",\n  \"pairs\": []\n}\n"; b.String() != want {
		t.Errorf("no pairs: %q, want %q", b.String(), want)
	}
}
