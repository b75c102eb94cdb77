package vsphere

// SetAfterWrite makes Apply call f after each write it makes: the seam a
// test uses to interrupt Apply between two writes.
func (s *Session) SetAfterWrite(f func()) { s.afterWrite = f }
