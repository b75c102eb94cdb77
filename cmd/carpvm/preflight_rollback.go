package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/carpvm/carpvm/workflow"
	"time"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
)

// rollbackOptions are the dependencies and flags of carpvm preflight
// rollback.
type rollbackOptions struct {
	IO     IOStreams
	Getenv config.Getenv
	// LoadVSphere loads the vsphere settings to log in to target, the
	// backup's server (--config when given, CARPVM_* and GOVC_* variables):
	// a rollback needs no pair or networks.
	LoadVSphere func(target string) (config.VSphere, error)
	Connect     connectFunc
	File        string
	Force       bool
	Output      string
}

// newPreflightRollbackCmd builds carpvm preflight rollback FILE; runF
// (nil: rollbackRun) gets its options.
func newPreflightRollbackCmd(app *App, runF func(context.Context, *rollbackOptions) error) *cobra.Command {
	o := &rollbackOptions{}
	if runF == nil {
		runF = rollbackRun
	}
	cmd := &cobra.Command{
		Use:   "rollback FILE",
		Short: "Restore exactly the fields preflight --fix changed, from its backup file",
		Long: `rollback restores exactly the fields a preflight --fix plan set (host
options, vSwitch and portgroup security settings, distributed portgroups, the
DRS rule, a relocated VM, NIC MAC addresses) to the values saved in its
backup file, in reverse order, then reads them back and checks each. Fields
the fix did not set (a VLAN changed since, say) keep their values.

Before writing it reads every object again: if a field it would restore has
changed since the fix, it refuses, naming the object, the field, the value
now and the value it would write, and writes nothing (exit 4); --force
writes the backup's values anyway.

It needs only the backup and a way to log in: the backup names its vCenter
(and pinned thumbprint), so GOVC_USERNAME and GOVC_PASSWORD (or
CARPVM_VSPHERE_*, or --config's vsphere settings) suffice; a URL given that
names another server than the backup's is refused.

With a fleet (--config naming a pairs list or a directory), it logs in with
the vsphere settings of the pair whose vsphere.url names the backup's
server, or of the pair --pair names; none on that server is refused (exit
2), naming the servers. Only the pairs' vsphere settings are read: their
networks need not validate.`,
		Example: `  carpvm preflight rollback ~/.local/state/carpvm/backups/20260101T120000.000000000Z.json
  GOVC_USERNAME=carpvm@vsphere.local GOVC_PASSWORD=... carpvm preflight rollback backup.json
  carpvm preflight rollback backup.json --config carpvm.yaml --force
  carpvm preflight rollback backup.json --config fleet.yaml
  carpvm preflight rollback backup.json -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Getenv, o.Connect, o.File = app.IO, app.Getenv, connectVSphere, args[0]
			o.LoadVSphere = app.loadVSphere
			return runF(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "write the backup's values even over fields changed since the fix")
	addPairFlag(cmd, app, "log in with this pair's vsphere settings (without it, a fleet's pair on the backup's server)")
	outputFlag(cmd, &o.Output)
	return cmd
}

// loadVSphere loads the vsphere settings to log in to target with: those
// of --config (or CARPVM_CONFIG) when one is given (in a fleet, of the
// pair --pair names, else of the pair on target's server), else of the
// CARPVM_* and GOVC_* variables alone.
func (a *App) loadVSphere(target string) (config.VSphere, error) {
	file := a.configFile
	if file == "" {
		file = a.Getenv("CARPVM_CONFIG")
	}
	if file == "" {
		if a.pair != "" {
			return config.VSphere{}, &config.Error{Key: "--pair", Msg: fmt.Sprintf("%q names a pair of a fleet, but no --config (or CARPVM_CONFIG) gives one", a.pair)}
		}
		v, err := config.NewViper("", a.Getenv)
		if err != nil {
			return config.VSphere{}, err
		}
		return config.LoadVSphere(v, a.Getenv)
	}
	pairs, err := config.LoadPathLogins(file, a.Getenv)
	if err != nil {
		return config.VSphere{}, err
	}
	var c *config.Config
	if a.pair == "" && len(pairs) > 1 {
		c, err = workflow.ServerPair(pairs, target)
	} else {
		c, err = config.SelectPair(pairs, a.pair)
	}
	if err != nil {
		return config.VSphere{}, err
	}
	return c.VSphere, nil
}

// rollbackDocument is the -o json output of carpvm preflight rollback.
type rollbackDocument struct {
	File    string    `json:"file"`
	Target  string    `json:"target"`
	Objects int       `json:"objects"`
	Saved   time.Time `json:"saved"`
}

// rollbackRun does the work of carpvm preflight rollback: workflow.Rollback
// with this command's login, lock and printing, then what was restored.
func rollbackRun(ctx context.Context, o *rollbackOptions) error {
	if err := checkOutput("preflight rollback", o.Output); err != nil {
		return err
	}
	progress := o.IO.progress
	notice := o.IO.notice
	res, err := workflow.Rollback(ctx, workflow.RollbackOptions{
		File: o.File, Force: o.Force, VSphere: o.LoadVSphere, Progress: progress,
		Connect: func(ctx context.Context, cfg *config.Config) (workflow.Backend, error) {
			return o.Connect(ctx, cfg, "", progress)
		},
		Lock: func(target string) (func(), error) {
			lock, err := lockTarget(o.Getenv, target, "preflight rollback")
			if err != nil {
				return nil, err
			}
			return func() { _ = lock.Unlock() }, nil
		},
		Close: func(be workflow.Backend) { workflow.Close(ctx, be, notice) },
	})
	var input *workflow.InputError
	var conflict *workflow.ConflictError
	var beErr *workflow.BackendError
	switch {
	case errors.As(err, &input):
		return usageError("preflight rollback: %v", input.Err)
	case errors.As(err, &conflict):
		return withExit(exitNotApplied, fmt.Errorf("preflight rollback: %w", conflict))
	case errors.As(err, &beErr):
		return fmt.Errorf("preflight rollback: %w", err)
	case err != nil:
		return err
	}
	if o.Output == "json" {
		return writeDocument(o.IO.Out, "rollback", rollbackDocument(res))
	}
	_, err = fmt.Fprintf(o.IO.Out, "restored and verified %d object(s) from %s\n", res.Objects, res.File)
	return err
}
