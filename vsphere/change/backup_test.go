package change

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sample() Backup {
	pg := Target{Kind: KindPortgroup, Host: "esxi-01", HostRef: "host-1", Name: "Public", Switch: "vSwitch0"}
	rule := Target{Kind: KindClusterRule, Cluster: "c1", ClusterRef: "domain-c1", Name: "carpvm-routers-anti-affinity"}
	return Backup{
		Format: BackupFormat, Target: "https://vc.example/sdk", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Plan: []Change{{Object: pg.String(), Setting: SettingPromiscuous, Current: "Reject", Desired: "Accept",
			Check: "security.promiscuous", Target: pg, Value: Value{Bool: Bool(true)}}},
		Objects: []Saved{
			{Target: pg, Type: "HostPortGroupSpec", Spec: json.RawMessage(`{"_typeName":"HostPortGroupSpec","name":"Public"}`)},
			{Target: rule, Absent: true},
		},
	}
}

func TestBackupRoundTrip(t *testing.T) {
	want := sample()
	var buf bytes.Buffer
	if err := want.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBackup(&buf)
	if err != nil {
		t.Fatalf("DecodeBackup: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if _, ok := got.Object(want.Objects[1].Target.Key()); !ok {
		t.Error("Object(rule key) not found")
	}
}

func TestDecodeBackupRejects(t *testing.T) {
	enc := func(b Backup) string {
		var buf bytes.Buffer
		if err := b.Encode(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	noSpec := sample()
	noSpec.Objects[0].Spec = nil
	twice := sample()
	twice.Objects = append(twice.Objects, twice.Objects[0])
	format := sample()
	format.Format = "other/1"
	wholeSpec := sample()
	wholeSpec.Format = "carpvm-backup/1"
	tests := map[string]struct{ doc, want string }{
		"empty":         {"  \n", "empty backup"},
		"not json":      {"{", "decoding backup"},
		"unknown field": {`{"format":"carpvm-backup/1","password":"x"}`, "unknown field"},
		"format":        {enc(format), "backup format"},
		"whole-spec v1": {enc(wholeSpec), "would also revert every change made since"},
		"no spec":       {enc(noSpec), "no saved spec"},
		"saved twice":   {enc(twice), "saved twice"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeBackup(strings.NewReader(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestTargetKeysDistinct: objects of different kinds or places never share a key.
func TestTargetKeysDistinct(t *testing.T) {
	targets := []Target{
		{Kind: KindHostOption, Host: "a", Name: "Net.ReversePathFwdCheckPromisc"},
		{Kind: KindPortgroup, Host: "a", Name: "Public"},
		{Kind: KindPortgroup, Host: "b", Name: "Public"},
		{Kind: KindVSwitch, Host: "a", Name: "Public"},
		{Kind: KindDVPortgroup, Switch: "DSwitch", Name: "Public"},
		{Kind: KindClusterRule, Cluster: "c", Name: "r"},
		{Kind: KindVM, Name: "router-003"},
		{Kind: KindVMNIC, Name: "router-003", NICKey: 4000},
		{Kind: KindVMNIC, Name: "router-003", NICKey: 4001},
	}
	seen := map[string]Target{}
	for _, tg := range targets {
		if o, ok := seen[tg.Key()]; ok {
			t.Errorf("%+v and %+v share key %q", o, tg, tg.Key())
		}
		seen[tg.Key()] = tg
	}
}
