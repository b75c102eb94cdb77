package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/viper"
)

// TestLoadVSphereRefusesWhatOpenRefuses: a thumbprint or URL that
// vsphere.Open would refuse is refused when the file is loaded, each
// error naming its key, all of them at once.
func TestLoadVSphereRefusesWhatOpenRefuses(t *testing.T) {
	v := viperFrom(t, "vsphere:\n  url: \"not a url\"\n  thumbprint: \"ZZ:12:34\"\n  username: u\n")
	_, err := LoadVSphere(v, noEnv)
	for _, want := range []string{"vsphere.url: not a valid URL", "vsphere.thumbprint: \"ZZ:12:34\": want a SHA-1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadVSphere: %v, want it to say %q", err, want)
		}
	}
	for _, tc := range []struct{ url, want string }{
		{"ftp://vcenter.example/sdk", "vsphere.url: scheme \"ftp\": want https (or http)"},
		{"https:///sdk", "vsphere.url: not a valid URL"},
	} {
		_, err := LoadVSphere(viperFrom(t, "vsphere:\n  url: "+tc.url+"\n"), noEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("url %s: %v, want %q", tc.url, err, tc.want)
		}
	}
	for _, ok := range []string{"https://vcenter.example/sdk", "vcenter.example", "http://127.0.0.1:8989/sdk", "https://u:p@vc/sdk"} {
		if _, err := LoadVSphere(viperFrom(t, "vsphere:\n  url: "+ok+"\n  thumbprint: \"ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01\"\n"), noEnv); err != nil {
			t.Errorf("url %s: %v", ok, err)
		}
	}
	// GOVC_URL is read as vsphere.url is.
	if _, err := LoadVSphere(viperFrom(t, ""), func(k string) string {
		return map[string]string{"GOVC_URL": "not a url"}[k]
	}); err == nil || !strings.Contains(err.Error(), "vsphere.url") {
		t.Errorf("GOVC_URL not a url: %v", err)
	}
}

// The password never shows in a URL error.
func TestURLErrorHoldsNoPassword(t *testing.T) {
	_, err := CheckVSphereURL("https://u:hunter2@vc example/sdk")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v: want one without the password", err)
	}
}

func TestNormalizeThumbprint(t *testing.T) {
	sha1 := "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"
	tests := []struct {
		in, want string
		ok       bool
	}{
		{sha1, sha1, true},
		{strings.ToLower(strings.ReplaceAll(sha1, ":", "")), sha1, true},
		{strings.Repeat("0a", 32), strings.TrimSuffix(strings.Repeat("0A:", 32), ":"), true},
		{"AB:CD", "", false},
		{strings.Repeat("zz", 20), "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeThumbprint(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeThumbprint(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func noEnv(string) string { return "" }

func viperFrom(t *testing.T, yaml string) *viper.Viper {
	t.Helper()
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewBufferString(yaml)); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return v
}
