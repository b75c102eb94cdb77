package workflow

import (
	"context"
	"fmt"

	"github.com/carpvm/carpvm/config"
)

// PairFix is one pair's fix in a fleet: what its fix did (nil when no
// plan was made: the pair could not be checked, or was never reached),
// and the error that stopped or ended it.
type PairFix struct {
	Pair   string
	Result *FixResult
	Err    error
}

// FixFleetOptions say how FixFleet fixes each pair and reports it.
type FixFleetOptions struct {
	// Fix fixes one pair as --pair NAME would: its own session, plan,
	// confirmation, lock, backup and re-check (Fix on the command's
	// backend).
	Fix func(ctx context.Context, cfg *config.Config) (*FixResult, error)
	// Start, when set, is told each pair's name before its fix begins (a
	// table's section heading comes before the pair's plan).
	Start func(pair string)
	// Done, when set, is handed each pair's outcome as soon as it is
	// known; its error stops the fleet (output that cannot be written).
	Done func(PairFix) error
}

// FixFleet fixes the pairs one at a time, in the configuration's order, so
// a pair's failure leaves the pairs before it fixed (each with its own
// backup) and does not stop the next. Once ctx is cancelled (Ctrl-C undoes
// the pair being written) no other pair is fixed: those left report an
// error that is ErrNotApplied.
func FixFleet(ctx context.Context, pairs []*config.Config, o FixFleetOptions) ([]PairFix, error) {
	out := make([]PairFix, 0, len(pairs))
	for _, cfg := range pairs {
		pf := PairFix{Pair: cfg.Pair.Name}
		if o.Start != nil {
			o.Start(pf.Pair)
		}
		if ctx.Err() != nil {
			pf.Err = fmt.Errorf("not fixed: interrupted (%w)", ErrNotApplied)
		} else {
			pf.Result, pf.Err = o.Fix(ctx, cfg)
		}
		out = append(out, pf)
		if o.Done != nil {
			if err := o.Done(pf); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
