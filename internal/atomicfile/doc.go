// Package atomicfile writes files so that a reader, or a process killed
// mid-write, sees either the old content or the new, never a torn file:
// backups, replay state and lab state go through it.
package atomicfile
