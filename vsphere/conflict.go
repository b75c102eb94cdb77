package vsphere

import (
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/vsphere/change"
)

// Conflict is one field that changed since the backup: what it holds now
// and what carpvm would write.
type Conflict struct {
	Object string // e.g. "portgroup Public on esxi-01"
	Field  string // e.g. "policy.security.allowPromiscuous"
	Now    string
	Write  string
}

func (c Conflict) String() string {
	return fmt.Sprintf("%s: field %s is now %s, would write %s", c.Object, c.Field, c.Now, c.Write)
}

// objectName names t's object in a conflict: its target, and a rule's name.
func objectName(t change.Target) string {
	if t.Kind == change.KindClusterRule {
		return t.String() + " rule " + t.Name
	}
	return t.String()
}

// conflictsOf describes fields holding a third value: Before is the value
// now, After the value carpvm would write.
func conflictsOf(t change.Target, fields []change.Field) []Conflict {
	out := make([]Conflict, 0, len(fields))
	for _, f := range fields {
		out = append(out, Conflict{Object: objectName(t), Field: f.Path, Now: showValue(f.Before), Write: showValue(f.After)})
	}
	return out
}

// ConflictError is a refused write: fields changed since the backup, by
// someone else, that carpvm would overwrite.
type ConflictError struct {
	// Rollback is set for a rollback, which --force can override; else it
	// is a fix that found the objects changed under it.
	Rollback  bool
	Conflicts []Conflict
}

func (e *ConflictError) Error() string {
	list := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		list[i] = c.String()
	}
	if e.Rollback {
		return fmt.Sprintf("refused: %d field(s) changed since the fix and would be overwritten: %s; nothing was written; pass --force to write the backup's values anyway",
			len(e.Conflicts), strings.Join(list, "; "))
	}
	return fmt.Sprintf("another writer changed %d field(s) since the backup: %s; carpvm did not overwrite them", len(e.Conflicts), strings.Join(list, "; "))
}

// OtherWriterError says that Apply found objects another writer had
// already set to the plan's values (another carpvm --fix at the same time,
// from another machine): it left them as they were and rolled nothing back.
type OtherWriterError struct {
	Objects []string
}

func (e *OtherWriterError) Error() string {
	return fmt.Sprintf("another writer changed %d object(s) while this fix ran (%s): each already held the fix's values, so carpvm left it as it was and rolled nothing back; the end state is the fixed one (check with carpvm preflight)",
		len(e.Objects), strings.Join(e.Objects, ", "))
}
