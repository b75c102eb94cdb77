package main

import (
	"encoding/json"
	"time"

	"github.com/carpvm/carpvm/vsphere/change"
)

func sampleBackup() (change.Backup, error) {
	t := change.Target{Kind: change.KindPortgroup, Host: "esxi-01", HostRef: "host-1", Name: "Public"}
	return change.Backup{Format: change.BackupFormat, Target: "https://vc.example/sdk", Time: time.Unix(0, 0).UTC(),
		Objects: []change.Saved{{Target: t, Type: "HostPortGroupSpec", Spec: json.RawMessage(`{"name":"Public"}`)}}}, nil
}
