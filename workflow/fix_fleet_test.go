package workflow

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
)

// TestFixFleetOnePairAtATime: the pairs are fixed in order, one failing
// does not stop the next, and once the run is interrupted no other pair is
// fixed (each left is ErrNotApplied); Start comes before a pair's fix and
// Done after it.
func TestFixFleetOnePairAtATime(t *testing.T) {
	var pairs []*config.Config
	for _, name := range []string{"paris", "roubaix", "lille", "lyon"} {
		pairs = append(pairs, simPair(name))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	refused := errors.New("refused")
	var events []string
	got, err := FixFleet(ctx, pairs, FixFleetOptions{
		Start: func(pair string) { events = append(events, "start "+pair) },
		Fix: func(ctx context.Context, cfg *config.Config) (*FixResult, error) {
			events = append(events, "fix "+cfg.Pair.Name)
			switch cfg.Pair.Name {
			case "roubaix":
				return nil, refused
			case "lille":
				cancel() // Ctrl-C while lille is written
				return &FixResult{Applied: false}, fmt.Errorf("interrupted: %w", context.Canceled)
			}
			return &FixResult{Applied: true}, nil
		},
		Done: func(pf PairFix) error { events = append(events, "done "+pf.Pair); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"start paris", "fix paris", "done paris",
		"start roubaix", "fix roubaix", "done roubaix",
		"start lille", "fix lille", "done lille",
		"start lyon", "done lyon",
	}
	if d := cmp.Diff(want, events); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	if len(got) != 4 {
		t.Fatalf("%d results, want 4", len(got))
	}
	if got[0].Err != nil || got[0].Result == nil || !got[0].Result.Applied {
		t.Errorf("paris: %+v, want applied", got[0])
	}
	if !errors.Is(got[1].Err, refused) {
		t.Errorf("roubaix: err %v, want the fix's", got[1].Err)
	}
	if !errors.Is(got[2].Err, context.Canceled) {
		t.Errorf("lille: err %v, want the fix's", got[2].Err)
	}
	if got[3].Result != nil || !errors.Is(got[3].Err, ErrNotApplied) {
		t.Errorf("lyon: %+v, want not fixed (ErrNotApplied)", got[3])
	}
}

// TestFixFleetStopsWhenDoneFails: output that cannot be written stops the
// fleet before the next pair is touched.
func TestFixFleetStopsWhenDoneFails(t *testing.T) {
	pairs := []*config.Config{simPair("paris"), simPair("roubaix")}
	fixed := 0
	broken := errors.New("write: broken pipe")
	_, err := FixFleet(context.Background(), pairs, FixFleetOptions{
		Fix:  func(context.Context, *config.Config) (*FixResult, error) { fixed++; return &FixResult{}, nil },
		Done: func(PairFix) error { return broken },
	})
	if !errors.Is(err, broken) || fixed != 1 {
		t.Errorf("err %v after %d fixes, want %v after 1", err, fixed, broken)
	}
}
