package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

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
	deadline := time.After(2 * time.Minute) // a hang guard, not a timing assertion
	for len(fields) < 4 {
		select {
		case code := <-done:
			t.Fatalf("carpvm sim exited early with %d: %s", code, errOut.String())
		case <-deadline:
			t.Fatalf("carpvm sim printed no URL; stdout: %q", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		for _, m := range simField.FindAllStringSubmatch(out.String(), -1) {
			fields[m[1]] = m[2]
		}
	}
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

func TestIsVSphereError(t *testing.T) {
	// Nothing listens on port 1: unreachable, not misconfigured.
	_, err := vsphere.Open(context.Background(), config.VSphere{URL: "https://127.0.0.1:1/sdk", Username: "carpvm", Insecure: true})
	if !isVSphereError(err) {
		t.Fatalf("isVSphereError(%v) = false", err)
	}
	if code, _ := exitCodeOf(err); code != exitVSphere {
		t.Errorf("exit code %d for a vSphere error, want %d", code, exitVSphere)
	}
	if isVSphereError(&config.Error{Key: "x", Msg: "y"}) {
		t.Error("a config error counted as a vSphere error")
	}
}
