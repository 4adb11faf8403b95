// Package logtest gives tests a log sink. Test code only: no production
// package imports it.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that a logger's goroutines may write to while a
// test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
