package workflow

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/change"
)

// fixToFile fixes the default simulated pair and keeps the backup in a
// file; it returns the simulator's login and the backup's path.
func fixToFile(t *testing.T) (config.VSphere, string) {
	t.Helper()
	ctx := context.Background()
	be, cfg := openSim(t)
	path := filepath.Join(t.TempDir(), "backup.json")
	_, err := Fix(ctx, be, cfg, FixOptions{
		Progress: func(string, ...any) {}, Log: slog.New(slog.DiscardHandler),
		Lock: func(string) (func(), error) { return func() {}, nil },
		WriteBackup: func(b change.Backup) (string, error) {
			var buf bytes.Buffer
			if err := b.Encode(&buf); err != nil {
				return "", err
			}
			return path, os.WriteFile(path, buf.Bytes(), 0o600)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg.VSphere, path
}

func rollbackOptions(vs config.VSphere, file string, connects, locks *[]string) RollbackOptions {
	return RollbackOptions{
		File: file, Progress: func(string, ...any) {},
		VSphere: func(string) (config.VSphere, error) { return vs, nil },
		Connect: func(ctx context.Context, cfg *config.Config) (Backend, error) {
			*connects = append(*connects, cfg.VSphere.URL)
			return Open(ctx, cfg, "", func(string, ...any) {})
		},
		Lock: func(target string) (func(), error) {
			*locks = append(*locks, target)
			return func() {}, nil
		},
		Close: func(be Backend) { _ = be.Close(context.Background()) },
	}
}

// After a fix, Rollback restores the backup's fields under the lock: the
// check fails again as before the fix.
func TestRollbackRestoresTheFixedFields(t *testing.T) {
	vs, file := fixToFile(t)
	var connects, locks []string
	// Only the login: the URL and thumbprint come from the backup.
	login := config.VSphere{Username: vs.Username, Password: vs.Password}
	res, err := Rollback(context.Background(), rollbackOptions(login, file, &connects, &locks))
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != 1 || res.Target != RedactURL(vs.URL) || res.Saved.IsZero() {
		t.Errorf("result %+v, want 1 object (IntraNought) of %s", res, vs.URL)
	}
	if len(connects) != 1 || connects[0] != vs.URL || len(locks) != 1 {
		t.Errorf("connected to %q, locked %q; want the backup's server once, under its lock", connects, locks)
	}
	cfg := config.Simulator()
	cfg.VSphere = vs
	be, err := Open(context.Background(), cfg, "", func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(context.Background())
	_, rep, err := Check(context.Background(), be, cfg, true, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	if n := failed(rep, "security.promiscuous"); n != 1 {
		t.Errorf("%d promiscuous failure(s) after the rollback, want the 1 of before the fix", n)
	}
}

// A backup of another server, or an unreadable one, is an InputError and
// nothing is connected to.
func TestRollbackRefusesBadInput(t *testing.T) {
	vs, file := fixToFile(t)
	other := vs
	other.URL = "https://vcenter.example/sdk"
	for name, o := range map[string]struct {
		vs   config.VSphere
		file string
		want string
	}{
		"another server": {other, file, "the backup is of"},
		"missing file":   {vs, filepath.Join(t.TempDir(), "none.json"), "none.json"},
	} {
		var connects, locks []string
		_, err := Rollback(context.Background(), rollbackOptions(o.vs, o.file, &connects, &locks))
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), o.want) || len(connects) != 0 {
			t.Errorf("%s: err %v, %d connection(s); want an InputError saying %q and none", name, err, len(connects), o.want)
		}
	}
}

// ServerPair picks the first pair on the backup's server as TargetID
// compares servers (case, default port); none names every pair's server.
func TestServerPair(t *testing.T) {
	pair := func(name, url string) *config.Config {
		return &config.Config{Pair: config.Pair{Name: name}, VSphere: config.VSphere{URL: url}}
	}
	pairs := []*config.Config{pair("lille", ""), pair("paris", "https://u:s3cretpw@vc-par.example/sdk"), pair("roubaix", "https://VC-RBX.example:443/sdk"), pair("rbx2", "https://vc-rbx.example/sdk")}
	if c, err := ServerPair(pairs, "https://vc-rbx.example/sdk"); err != nil || c.Pair.Name != "roubaix" {
		t.Errorf("ServerPair(vc-rbx) = %v, %v; want roubaix, the first on that server", c, err)
	}
	_, err := ServerPair(pairs, "https://vc-lyon.example/sdk")
	for _, w := range []string{"vc-lyon.example", "lille (no vsphere.url)", "paris (https://vc-par.example/sdk)", "roubaix (https://VC-RBX.example:443/sdk)"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("no pair on the server: error %v; want it to say %q", err, w)
		}
	}
	if err != nil && strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("error %q holds a URL's password", err)
	}
	if _, err := ServerPair(pairs, ""); err == nil || !strings.Contains(err.Error(), "--pair") {
		t.Errorf("a backup naming no server: error %v; want one asking for --pair", err)
	}
}
