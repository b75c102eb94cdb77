package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/failover/lab"
)

func TestLabUpAdvBaseFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--peer", "ucarp", "--advbase", "0"}, []string{"--advbase 0", "ucarp", "whole seconds", "carpvm peer"}},
		{[]string{"--advbase", "256"}, []string{"--advbase 256", "0..255"}},
		{[]string{"--advbase", "-1"}, []string{"--advbase -1", "0..255"}},
	} {
		args := append([]string{"lab", "up", "--state-dir", dir, "--prefix", "tflag-"}, tc.args...)
		code, _, errOut := runDrillCLI(t, nil, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%q)", tc.args, code, exitUsage, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: error %q does not say %q", tc.args, errOut, w)
			}
		}
		// Refused before anything was made.
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%v: the state directory was created", tc.args)
		}
	}
}

func TestWriteLabStatusAdvBaseZero(t *testing.T) {
	var b strings.Builder
	st := lab.Status{Prefix: "cvl-", StateDir: "/run/carpvm-lab", Peer: lab.PeerCarpvm, AdvBase: 0}
	if err := writeLabStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(b.String(), "\n"); first != "lab cvl- (state /run/carpvm-lab), router-003 runs carpvm, advbase 0" {
		t.Errorf("first line %q", first)
	}
}
