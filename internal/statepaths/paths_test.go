package statepaths

import (
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// statePaths are every path of the state directory, by name.
func statePaths(getenv func(string) string) (map[string]string, error) {
	got := map[string]string{}
	for name, f := range map[string]func() (string, error){
		"backups":     func() (string, error) { return Backups(getenv) },
		"writer lock": func() (string, error) { return WriterLock(getenv, "vc.example:443") },
		"sim":         func() (string, error) { return SimCredentials(getenv, "127.0.0.1:8989") },
		"history":     func() (string, error) { return DrillHistory(getenv) },
		"drill locks": func() (string, error) { return DrillLocks(getenv, false) },
	} {
		p, err := f()
		if err != nil {
			return nil, err
		}
		got[name] = p
	}
	return got, nil
}

func TestStatePaths(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		root string // the state directory every path is under
	}{
		{"XDG_STATE_HOME", map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}, "/s/carpvm"},
		{"HOME", map[string]string{"HOME": "/h"}, "/h/.local/state/carpvm"},
		// XDG: a relative path is invalid and ignored, by every path alike.
		{"relative XDG_STATE_HOME", map[string]string{"XDG_STATE_HOME": "rel/state", "HOME": "/h"}, "/h/.local/state/carpvm"},
		{"relative XDG_RUNTIME_DIR", map[string]string{"XDG_RUNTIME_DIR": "run", "XDG_STATE_HOME": "/s"}, "/s/carpvm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := statePaths(env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"backups":     tc.root + "/backups",
				"writer lock": tc.root + "/locks/vsphere-vc.example_443.lock",
				"sim":         tc.root + "/sim/127.0.0.1_8989.env",
				"history":     tc.root + "/drills",
				"drill locks": tc.root + "/locks",
			}
			for name, w := range want {
				if got[name] != w {
					t.Errorf("%s = %q, want %q", name, got[name], w)
				}
			}
			if d, _ := Dir(env(tc.env)); d != tc.root {
				t.Errorf("Dir = %q, want %q", d, tc.root)
			}
		})
	}
}

func TestNoStateDirectory(t *testing.T) {
	for _, e := range []map[string]string{nil, {"XDG_STATE_HOME": "relative"}} {
		if _, err := Dir(env(e)); err == nil || !strings.Contains(err.Error(), "$HOME") {
			t.Errorf("Dir(%v): %v, want an error naming $HOME", e, err)
		}
		if _, err := DrillHistory(env(e)); err == nil || !strings.Contains(err.Error(), "--history") {
			t.Errorf("DrillHistory(%v): %v, want an error asking for --history", e, err)
		}
		if _, err := DrillLocks(env(e), false); err == nil || !strings.Contains(err.Error(), LockDirEnv) {
			t.Errorf("DrillLocks(%v): %v, want an error naming %s", e, err, LockDirEnv)
		}
	}
	if _, err := WriterLock(env(map[string]string{"HOME": "/h"}), ""); err == nil {
		t.Error("WriterLock of no host: want an error")
	}
}

func TestDrillLocks(t *testing.T) {
	all := map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "XDG_STATE_HOME": "/s", "HOME": "/h"}
	for _, tc := range []struct {
		env  map[string]string
		root bool
		want string
	}{
		// Root's sessions differ in their environment (a timer has no
		// XDG_RUNTIME_DIR, a login shell may): root locks in one place.
		{all, true, "/run/lock/carpvm"},
		{nil, true, "/run/lock/carpvm"},
		{all, false, "/run/user/1000/carpvm/locks"},
		{map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}, false, "/s/carpvm/locks"},
		{map[string]string{"HOME": "/h"}, false, "/h/.local/state/carpvm/locks"},
		{map[string]string{LockDirEnv: "/l", "HOME": "/h"}, true, "/l"},
	} {
		if got, err := DrillLocks(env(tc.env), tc.root); err != nil || got != tc.want {
			t.Errorf("DrillLocks(%v, root %t) = %q, %v; want %q", tc.env, tc.root, got, err, tc.want)
		}
	}
}

func TestFileNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{DrillLock("/l", "other pair/2"), "/l/drill-other_pair_2.lock"},
		{DrillJournal("/d", "routers"), "/d/drill-routers.journal.json"},
		{DrillJournal("/d", "../x"), "/d/drill-.._x.journal.json"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s, want %s", tc.got, tc.want)
		}
		if filepath.Dir(tc.got) != filepath.Dir(tc.want) {
			t.Errorf("%s left its directory", tc.got)
		}
	}
	if p, _ := WriterLock(env(map[string]string{"HOME": "/h"}), "[::1]:443"); filepath.Dir(p) != "/h/.local/state/carpvm/locks" {
		t.Errorf("an IPv6 server's lock %s is not in the locks directory", p)
	}
}
