package vsphere

// Error is a vSphere connection or request failure: unreachable server,
// refused connection, bad credentials, TLS verification or a failed request.
// Commands map it to exit code 3. Its text never holds a password.
type Error struct {
	Op  string // what carpvm was doing, e.g. "connect to https://vc/sdk"
	Err error
}

func (e *Error) Error() string { return "vsphere: " + e.Op + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }
