package vsphere

// SetAfterWrite makes Apply call f after each write it makes: the seam a
// test uses to interrupt Apply between two writes.
func (s *Session) SetAfterWrite(f func()) { s.afterWrite = f }

// SetPageObjects makes the session's property retrievals ask for at most n
// objects per answer: the seam a test uses to page a small inventory.
func (s *Session) SetPageObjects(n int32) { s.pageObjects = n }
