package failover

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLock(t *testing.T) {
	dir := t.TempDir()
	l, err := TryLock(dir, "routers")
	if err != nil {
		t.Fatal(err)
	}
	_, err = TryLock(dir, "routers")
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second lock on the pair: %v, want ErrLocked naming the holder's pid", err)
	}
	other, err := TryLock(dir, "other pair/2")
	if err != nil {
		t.Fatalf("another pair: %v", err)
	}
	if filepath.Base(LockPath(dir, "other pair/2")) != "drill-other_pair_2.lock" {
		t.Errorf("lock path %s", LockPath(dir, "other pair/2"))
	}
	other.Unlock()
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := TryLock(dir, "routers")
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again.Unlock()
}

func TestDefaultLockDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
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
		if got, err := DefaultLockDir(env(tc.env), tc.root); err != nil || got != tc.want {
			t.Errorf("DefaultLockDir(%v, root %t) = %q, %v; want %q", tc.env, tc.root, got, err, tc.want)
		}
	}
	if _, err := DefaultLockDir(env(nil), false); err == nil || !strings.Contains(err.Error(), LockDirEnv) {
		t.Errorf("no environment: %v, want an error naming %s", err, LockDirEnv)
	}
}
