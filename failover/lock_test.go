package failover

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/internal/statepaths"
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
	if _, err := os.Stat(statepaths.DrillLock(dir, "other pair/2")); err != nil {
		t.Errorf("another pair's lock file: %v", err)
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
