// Package transition is carpvm's one format for CARP state changes
// (architecture: Transition log): JSON lines, one per state change of one
// group, written by `carpvm node --transition-log`, `carpvm watch
// --transitions` (the witness), every witnessed drill into its report and
// history, and the FreeBSD devd and keepalived notify scripts under
// docs/deploy/transition/, and read by `carpvm explain`.
//
//	{"format":"carpvm.transition/v1","time":"2026-12-07T02:14:03.25Z","router":"router-002",
//	 "network":"intranought","vhid":1,"from":"BACKUP","to":"MASTER","reason":"master down","demotion":0}
//
// Parse reads one line, Read a whole stream (a malformed line is an error
// naming its file and line, and the rest is still read), Marshal and
// Writer write them.
package transition
