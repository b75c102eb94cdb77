package failover

import "context"

// WriteChecker is an Env that can tell, before a drill's first write,
// whether the trigger and its undo will be allowed (vSphere: the user's
// privileges on the router VM). A drill asks it before its journal and
// its trigger; an error refuses the drill with nothing touched.
type WriteChecker interface {
	CheckWrites(ctx context.Context, t Trigger, n Network, router string) error
}

// checkWrites asks the Env, when it can tell, whether the drill's trigger
// and undo on router will be allowed.
func (d *drill) checkWrites(ctx context.Context, router string) error {
	wc, ok := d.opts.Env.(WriteChecker)
	if !ok {
		return nil
	}
	return wc.CheckWrites(ctx, d.opts.Trigger.Action(), d.n, router)
}
