// Package syncbuf is a bytes.Buffer that one goroutine may read while
// another (a child process's output copier) writes to it.
package syncbuf
