package node

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/viper"
)

// TestNodeYAMLDocumented: docs/commands.md's node.yaml, the format's one
// description, is a node.yaml LoadConfig decodes (no key it would refuse)
// and shows every key it reads.
func TestNodeYAMLDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n### node.yaml\n")
	if !ok {
		t.Fatal(`docs/commands.md has no "### node.yaml" section`)
	}
	var yaml []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		if rest, ok := strings.CutPrefix(line, "    "); ok {
			yaml = append(yaml, rest)
		}
	}
	text := strings.Join(yaml, "\n")
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewBufferString(text)); err != nil {
		t.Fatalf("the documented node.yaml is not YAML: %v\n%s", err, text)
	}
	var fc fileConfig
	if err := v.UnmarshalExact(&fc); err != nil {
		t.Fatalf("the documented node.yaml has a key LoadConfig refuses: %v", err)
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(fileConfig{}), reflect.TypeOf(fileTrack{}), reflect.TypeOf(fileGroup{})} {
		for i := range typ.NumField() {
			key := typ.Field(i).Tag.Get("mapstructure")
			if !regexp.MustCompile(`(^|[\s{,])` + key + `:`).MatchString(text) {
				t.Errorf("docs/commands.md's node.yaml does not show %s (%s)", key, typ.Name())
			}
		}
	}
}
