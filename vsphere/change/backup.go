package change

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// BackupFormat names the version of the backup document.
const BackupFormat = "carpvm-backup/2"

// backupFormatWholeSpec is the first format, which saved only whole specs:
// restoring one would also revert whatever changed since, so it is refused.
const backupFormatWholeSpec = "carpvm-backup/1"

// Backup is the document written before a plan is applied: for every object
// the plan touches, its whole previous state and, field by field, what the
// plan sets on it, so that a rollback restores exactly those fields. It
// holds no credentials: Target is the vSphere URL without user information.
type Backup struct {
	Format string `json:"format"`
	Target string `json:"target"`
	// Thumbprint is the pinned certificate thumbprint of Target, if any.
	Thumbprint string    `json:"thumbprint,omitempty"`
	Time       time.Time `json:"time"`
	// Plan is the plan the backup was taken for.
	Plan []Change `json:"plan"`
	// Objects holds one previous state per object the plan touches, in the
	// order the plan first touches them.
	Objects []Saved `json:"objects"`
}

// Saved is one object's previous state.
type Saved struct {
	Target Target `json:"target"`
	// Absent is set when the object did not exist before the plan (a DRS
	// rule it adds): restoring removes it.
	Absent bool `json:"absent,omitempty"`
	// Type is the vSphere data type of Spec, e.g. "HostPortGroupSpec".
	Type string `json:"type,omitempty"`
	// Spec is the object's whole previous spec in vSphere's JSON encoding
	// (with _typeName discriminators), opaque to this package.
	Spec json.RawMessage `json:"spec,omitempty"`
	// Fields are the fields the plan sets on the object, each with its
	// value before and the value the plan writes: all a rollback restores.
	Fields []Field `json:"fields,omitempty"`
	// Toggled are the fields a promiscuous toggle turns off for a moment
	// (After) and back (Before): restored only if found still off.
	Toggled []Field `json:"toggled,omitempty"`
}

// Field is one field of an object's spec that a plan sets: Path is its
// dotted path in vSphere's JSON encoding (e.g.
// "policy.security.allowPromiscuous"), Before and After its values there,
// JSON null when unset.
type Field struct {
	Path   string          `json:"path"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// Object returns the saved state of the object with key, if any.
func (b *Backup) Object(key string) (Saved, bool) {
	for _, s := range b.Objects {
		if s.Target.Key() == key {
			return s, true
		}
	}
	return Saved{}, false
}

// Validate reports what makes b unusable for a rollback.
func (b *Backup) Validate() error {
	if b.Format == backupFormatWholeSpec {
		return fmt.Errorf("change: backup format %q saved whole specs only, and restoring one would also revert every change made since; this carpvm refuses it: restore the fields you need by hand from its \"objects\" (or re-run the fix and roll back its new backup)", b.Format)
	}
	if b.Format != BackupFormat {
		return fmt.Errorf("change: backup format %q: want %q", b.Format, BackupFormat)
	}
	seen := map[string]bool{}
	for i, s := range b.Objects {
		if s.Target.Kind == "" || s.Target.Name == "" {
			return fmt.Errorf("change: backup object %d: no kind or name", i)
		}
		key := s.Target.Key()
		if seen[key] {
			return fmt.Errorf("change: backup object %d: %s saved twice", i, key)
		}
		seen[key] = true
		if !s.Absent && (s.Type == "" || len(s.Spec) == 0) {
			return fmt.Errorf("change: backup object %d (%s): no saved spec", i, key)
		}
	}
	return nil
}

// Encode writes b as indented JSON.
func (b *Backup) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("change: encoding backup: %w", err)
	}
	return nil
}

// ErrEmptyBackup is returned when a backup document holds nothing.
var ErrEmptyBackup = errors.New("change: empty backup document")

// DecodeBackup reads and validates a backup document.
func DecodeBackup(r io.Reader) (Backup, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Backup{}, fmt.Errorf("change: reading backup: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Backup{}, ErrEmptyBackup
	}
	var b Backup
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Backup{}, fmt.Errorf("change: decoding backup: %w", err)
	}
	if err := b.Validate(); err != nil {
		return Backup{}, err
	}
	// Specs come back compact, as vSphere's encoder wrote them, whatever
	// the file's indentation.
	for i, s := range b.Objects {
		if len(s.Spec) == 0 {
			continue
		}
		var c bytes.Buffer
		if err := json.Compact(&c, s.Spec); err != nil {
			return Backup{}, fmt.Errorf("change: backup object %d: %w", i, err)
		}
		b.Objects[i].Spec = json.RawMessage(c.Bytes())
	}
	return b, nil
}
