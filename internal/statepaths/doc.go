// Package statepaths is the one place that says where carpvm keeps its
// state on disk: the state directory ($XDG_STATE_HOME/carpvm, else
// ~/.local/state/carpvm) with preflight --fix backups, the vSphere writers'
// locks, the drills' history and journals and the simulator's credentials
// files, and the drill locks' directory. Every command asks here, so that
// they all agree, and agree with the XDG Base Directory specification: a
// relative $XDG_STATE_HOME or $XDG_RUNTIME_DIR is invalid and ignored, as if
// unset. (architecture: State on disk)
package statepaths
