package failover

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/internal/jsondoc"
)

// A field the drill did not measure (Unavailable) is null in the JSON,
// not a 0 or false a reader would take for a measurement; the others
// keep their values, and the document still reads back.
func TestUnmeasuredFieldsAreNull(t *testing.T) {
	r := Report{
		Pass: true, Network: "intranought", VHID: 1, Trigger: "power-off", OldMaster: "router-002", Restored: true,
		MasterDownS: 3.391, Unavailable: unwitnessedFields, Notice: unwitnessedNotice,
	}
	raw, err := jsondoc.Marshal("drill", r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range unwitnessedFields {
		if v, ok := doc[f]; !ok || string(v) != "null" {
			t.Errorf("%s = %s (present %t), want null: it was not measured", f, v, ok)
		}
	}
	for f, want := range map[string]string{"format": `"carpvm.drill/v1"`, "old_master": `"router-002"`, "restored": "true", "master_down_s": "3.391", "phases": "[]", "vhid": "1"} {
		if got := string(doc[f]); got != want {
			t.Errorf("%s = %s, want %s", f, got, want)
		}
	}
	if !strings.HasPrefix(string(raw), "{\n  \"format\": \"carpvm.drill/v1\",\n  \"pass\": true,") {
		t.Errorf("member order changed:\n%.120s", raw)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil || back.OldMaster != "router-002" || len(back.Unavailable) != len(unwitnessedFields) {
		t.Errorf("read back: %v, %+v", err, back)
	}
	// A measured report has no null.
	r.Unavailable, r.TakeoverS = nil, 3.4
	if raw, err = jsondoc.Marshal("drill", r); err != nil || strings.Contains(string(raw), "null") || !strings.Contains(string(raw), `"takeover_s": 3.4`) {
		t.Errorf("measured report: %v\n%s", err, raw)
	}
}
