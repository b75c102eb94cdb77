package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/carpvm/carpvm/workflow"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
)

// rollbackOptions are the dependencies and flags of carpvm preflight
// rollback.
type rollbackOptions struct {
	IO     IOStreams
	Getenv config.Getenv
	// LoadVSphere loads the vsphere settings alone (--config when given,
	// CARPVM_* and GOVC_* variables): a rollback needs no pair or networks.
	LoadVSphere func() (config.VSphere, error)
	Connect     connectFunc
	File        string
	Force       bool
}

// newPreflightRollbackCmd builds carpvm preflight rollback FILE.
func newPreflightRollbackCmd(app *App) *cobra.Command {
	return newPreflightRollbackCmdWith(app, connectVSphere)
}

func newPreflightRollbackCmdWith(app *App, connect connectFunc) *cobra.Command {
	o := &rollbackOptions{}
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
names another server than the backup's is refused.`,
		Example: `  carpvm preflight rollback ~/.local/state/carpvm/backups/20260101T120000.000000000Z.json
  GOVC_USERNAME=carpvm@vsphere.local GOVC_PASSWORD=... carpvm preflight rollback backup.json
  carpvm preflight rollback backup.json --config carpvm.yaml --force`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IO, o.Getenv, o.Connect, o.File = app.IO, app.Getenv, connect, args[0]
			o.LoadVSphere = app.loadVSphere
			return rollbackRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "write the backup's values even over fields changed since the fix")
	return cmd
}

// loadVSphere loads the vsphere settings of --config (or CARPVM_CONFIG)
// when one is given, else of the CARPVM_* and GOVC_* variables alone.
func (a *App) loadVSphere() (config.VSphere, error) {
	file := a.configFile
	if file == "" {
		file = a.Getenv("CARPVM_CONFIG")
	}
	v, err := config.NewViper(file)
	if err != nil {
		return config.VSphere{}, err
	}
	return config.LoadVSphere(v, a.Getenv)
}

// rollbackTarget is the vsphere settings to roll b back with: the backup's
// server (and thumbprint) unless vs names one, which must then be the same.
func rollbackTarget(vs config.VSphere, b change.Backup) (config.VSphere, error) {
	if vs.URL == "" {
		if b.Target == "" {
			return vs, usageError("preflight rollback: the backup names no vCenter; set vsphere.url or GOVC_URL")
		}
		vs.URL = b.Target
	} else if b.Target != "" && targetID(vs.URL) != targetID(b.Target) {
		return vs, usageError("preflight rollback: the backup is of %s, but the configuration points at %s; roll it back against the server it came from (or unset GOVC_URL/vsphere.url to use the backup's)",
			b.Target, workflow.RedactURL(vs.URL))
	}
	if vs.Thumbprint == "" && !vs.Insecure {
		vs.Thumbprint = b.Thumbprint
	}
	return vs, nil
}

func rollbackRun(ctx context.Context, o *rollbackOptions) error {
	fh, err := os.Open(o.File)
	if err != nil {
		return usageError("preflight rollback: %v", err)
	}
	b, err := change.DecodeBackup(fh)
	fh.Close()
	if err != nil {
		return usageError("preflight rollback %s: %v", o.File, err)
	}
	vs, err := o.LoadVSphere()
	if err != nil {
		return err
	}
	if vs, err = rollbackTarget(vs, b); err != nil {
		return err
	}
	progress := func(format string, args ...any) { fmt.Fprintf(o.IO.ErrOut, format+"\n", args...) }
	be, err := o.Connect(ctx, &config.Config{VSphere: vs}, "", progress)
	if err != nil {
		return vsphereExit("preflight rollback", err)
	}
	defer closeBackend(ctx, be, progress)
	lock, err := lockTarget(o.Getenv, be.Target(), "preflight rollback")
	if err != nil {
		return err
	}
	defer lock.Unlock()
	progress("restoring the fields the fix set on %d object(s), saved %s", len(b.Objects), b.Time.Format(time.RFC3339))
	err = be.Rollback(ctx, b, vsphere.RollbackOptions{Force: o.Force})
	var conflict *vsphere.ConflictError
	if errors.As(err, &conflict) {
		return withExit(exitNotApplied, fmt.Errorf("preflight rollback: %w", conflict))
	}
	if err != nil {
		return vsphereExit("preflight rollback", err)
	}
	fmt.Fprintf(o.IO.Out, "restored and verified %d object(s) from %s\n", len(b.Objects), o.File)
	return nil
}
