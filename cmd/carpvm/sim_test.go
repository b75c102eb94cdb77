package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/internal/syncbuf"
	"github.com/carpvm/carpvm/vsphere"
)

var simField = regexp.MustCompile(`(?m)^(URL|Username|Password|Thumbprint): +(\S+)`)

// TestSimCommand starts `carpvm sim` on a free port, connects to the URL it
// prints with the credentials it prints, gathers, and stops it by
// cancelling the context.
func TestSimCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sim", "--listen", "127.0.0.1:0", "--topology", "cluster-anti-affinity"},
			IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
	}()

	fields := map[string]string{}
	waitForSim(t, done, &out, &errOut, func() bool {
		for _, m := range simField.FindAllStringSubmatch(out.String(), -1) {
			fields[m[1]] = m[2]
		}
		return len(fields) == 4
	})
	if !strings.Contains(out.String(), "GOVC_URL="+fields["URL"]) || !strings.Contains(out.String(), "thumbprint: \""+fields["Thumbprint"]+"\"") {
		t.Errorf("output lacks the govc hint or the carpvm.yaml snippet:\n%s", out.String())
	}

	s, err := vsphere.Open(ctx, config.VSphere{
		URL: fields["URL"], Username: fields["Username"],
		Password: config.NewSecret(fields["Password"]), Thumbprint: fields["Thumbprint"],
	})
	if err != nil {
		t.Fatalf("connect to the printed URL: %v", err)
	}
	f, err := s.Gather(ctx, config.Simulator())
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	if len(f.Clusters) != 1 || len(f.Clusters[0].Rules) != 1 {
		t.Errorf("served topology has clusters %+v, want Cluster-01 with its anti-affinity rule", f.Clusters)
	}
	_ = s.Close(ctx)

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit code %d after interrupt, want 0; stderr: %s", code, errOut.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("carpvm sim did not stop after its context was cancelled")
	}
}

func TestSimCommandUsage(t *testing.T) {
	var out, errOut syncbuf.Buffer
	for _, args := range [][]string{
		{"sim", "--topology", "nope"},
		{"sim", "--listen", "not-an-address"},
	} {
		code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr: %s", args, code, exitUsage, errOut.String())
		}
	}
	if !strings.Contains(errOut.String(), "want one of") || !strings.Contains(errOut.String(), "HOST:PORT") {
		t.Errorf("usage errors do not say what is expected: %s", errOut.String())
	}
}

// TestUnreachableVSphereExits3: a vCenter that does not answer is
// vSphere's (3), not the configuration's.
func TestUnreachableVSphereExits3(t *testing.T) {
	// Nothing listens on port 1: unreachable, not misconfigured.
	_, err := vsphere.Open(context.Background(), config.VSphere{URL: "https://127.0.0.1:1/sdk", Username: "carpvm", Insecure: true})
	if err == nil {
		t.Fatal("connected to port 1")
	}
	if code, _ := exitCodeOf(err); code != exitVSphere {
		t.Errorf("exit code %d for %v, want %d", code, err, exitVSphere)
	}
}

// TestSimJSON: `carpvm sim -o json` prints one document with the URL, the
// topology and the path of a credentials file (0600, removed when the
// simulator stops), never the password; the file's login works.
func TestSimJSON(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	state := t.TempDir()
	var out, errOut syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sim", "--listen", "127.0.0.1:0", "-o", "json"},
			IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(k string) string { return map[string]string{"XDG_STATE_HOME": state}[k] })
	}()
	var doc struct {
		Format, URL, Topology, Username, Thumbprint string
		CredentialsFile                             string `json:"credentials_file"`
	}
	waitForSim(t, done, &out, &errOut, func() bool { return json.Unmarshal([]byte(out.String()), &doc) == nil })
	if doc.Format != "carpvm.sim/v1" || doc.Topology != "default" || !strings.HasPrefix(doc.URL, "https://127.0.0.1:") || !strings.HasPrefix(doc.CredentialsFile, state) {
		t.Errorf("document %+v", doc)
	}
	st, err := os.Stat(doc.CredentialsFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, mode %v; want 0600", err, st.Mode())
	}
	creds, err := readEnvFile(doc.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	if pw := creds["GOVC_PASSWORD"]; pw == "" || strings.Contains(out.String()+errOut.String(), pw) {
		t.Errorf("the password is missing from the file or printed: %q", pw)
	}
	// carpvm's settings from the file's variables alone: the certificate
	// verified against GOVC_TLS_CA_CERTS, as govc does.
	vs, err := config.LoadVSphere(viper.New(), func(k string) string { return creds[k] })
	if err != nil {
		t.Fatal(err)
	}
	if vs.Insecure || vs.Thumbprint != "" || vs.CACerts == "" {
		t.Errorf("settings from the file: insecure %v, thumbprint %q, CA certs %q; want the CA file alone", vs.Insecure, vs.Thumbprint, vs.CACerts)
	}
	s, err := vsphere.Open(ctx, vs)
	if err != nil {
		t.Fatalf("log in with the credentials file: %v", err)
	}
	_ = s.Close(ctx)
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
	for _, f := range []string{doc.CredentialsFile, vs.CACerts} {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind: %v", f, err)
		}
	}
}

// readEnvFile reads KEY=VALUE lines.
func readEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	return env, nil
}

// waitForSim polls ready until it holds, failing the test when carpvm sim
// exits first or prints nothing usable within a hang guard.
func waitForSim(t *testing.T, done <-chan int, out, errOut *syncbuf.Buffer, ready func() bool) {
	t.Helper()
	deadline := time.After(2 * time.Minute) // a hang guard, not a timing assertion
	for !ready() {
		select {
		case code := <-done:
			t.Fatalf("carpvm sim exited early with %d: %s", code, errOut.String())
		case <-deadline:
			t.Fatalf("carpvm sim printed nothing usable; stdout: %q", out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestSimListenInUse: a --listen address another process holds is not a
// usage error but the environment's (exit 5), said in carpvm's words
// (formerly exit 2 with vcsim's "httptest: failed to listen" panic text).
func TestSimListenInUse(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	var out, errOut syncbuf.Buffer
	code := run(context.Background(), []string{"sim", "--listen", held.Addr().String()},
		IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
	if code != exitOther {
		t.Errorf("exit %d, want %d; stderr: %s", code, exitOther, errOut.String())
	}
	if msg := errOut.String(); !strings.Contains(msg, "cannot listen on "+held.Addr().String()) || !strings.Contains(msg, "in use") || strings.Contains(msg, "httptest") {
		t.Errorf("stderr %q: want carpvm's words naming the address in use", msg)
	}
}
