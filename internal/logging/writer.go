// Package logging is ksfsync's log plumbing: a writer that batches JSON log
// lines into fewer writes, and adapters that route net/http's and asynq's
// own messages into zerolog.
package logging

import (
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// logFlushSize is the batch size that is written at once.
const logFlushSize = 32 << 10

// Writer batches log lines into fewer writes: one write syscall per push
// line costs the receiver a few percent of its CPU at full load. Info and
// debug lines are written when 32 KiB have gathered or at most Delay after
// the first of them; warnings and errors are written at once (with what is
// buffered before them, so the order holds); Close writes the rest. A hard
// crash can therefore lose at most Delay's worth of info lines. Safe for
// concurrent use.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	timer  *time.Timer
	armed  bool
	closed bool
	delay  time.Duration
}

// NewWriter batches writes to w, holding info lines at most delay.
func NewWriter(w io.Writer, delay time.Duration) *Writer {
	l := &Writer{w: w, delay: delay, buf: make([]byte, 0, logFlushSize+4096)}
	l.timer = time.AfterFunc(time.Hour, func() { _ = l.Flush() })
	l.timer.Stop()
	return l
}

// Write buffers p (one log line).
func (l *Writer) Write(p []byte) (int, error) {
	return l.WriteLevel(zerolog.InfoLevel, p)
}

// WriteLevel buffers p, or writes it at once when it is a warning or worse.
func (l *Writer) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.w.Write(p)
	}
	l.buf = append(l.buf, p...)
	if len(l.buf) >= logFlushSize || (level >= zerolog.WarnLevel && level != zerolog.NoLevel) {
		return len(p), l.flushLocked()
	}
	if !l.armed {
		l.armed = true
		l.timer.Reset(l.delay)
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (l *Writer) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushLocked()
}

func (l *Writer) flushLocked() error {
	l.armed = false
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.w.Write(l.buf)
	l.buf = l.buf[:0]
	return err
}

// Close writes what is buffered; later lines are written unbuffered.
func (l *Writer) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.timer.Stop()
	return l.flushLocked()
}
