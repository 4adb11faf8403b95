package logging

import (
	stdlog "log"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// chanWriter reports every write on a channel.
type chanWriter struct {
	mu     sync.Mutex
	writes []string
	c      chan struct{}
}

func (w *chanWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, string(p))
	w.mu.Unlock()
	w.c <- struct{}{}
	return len(p), nil
}

func (w *chanWriter) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.writes...)
}

func TestLogWriterBatchesInfo(t *testing.T) {
	t.Parallel()
	w := &chanWriter{c: make(chan struct{}, 10)}
	lw := NewWriter(w, 5*time.Millisecond)
	log := zerolog.New(lw)
	log.Info().Msg("a")
	log.Info().Msg("b")
	<-w.c // the delay's flush: both lines in one write
	if got := w.all(); len(got) != 1 || strings.Count(got[0], "\n") != 2 {
		t.Errorf("writes %q, want one write of two lines", got)
	}
	log.Info().Msg("c")
	log.Warn().Msg("d") // at once, after c
	<-w.c
	if got := w.all(); len(got) != 2 || !strings.Contains(got[1], `"c"`) || !strings.HasSuffix(got[1], "\"message\":\"d\"}\n") {
		t.Errorf("writes %q, want c and d together, in order", got)
	}
	log.Info().Msg("e")
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	<-w.c
	log.Info().Msg("f") // after Close: unbuffered
	<-w.c
	if got := w.all(); len(got) != 4 || !strings.Contains(got[2], `"e"`) || !strings.Contains(got[3], `"f"`) {
		t.Errorf("writes %q", got)
	}
}

func TestLogWriterFlushesFullBuffer(t *testing.T) {
	t.Parallel()
	w := &chanWriter{c: make(chan struct{}, 100)}
	lw := NewWriter(w, time.Hour)
	line := strings.Repeat("x", 1000) + "\n"
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				_, _ = lw.Write([]byte(line))
			}
		}()
	}
	wg.Wait()
	<-w.c // 40 KB > 32 KiB: one write without waiting an hour
	lw.Close()
	total := 0
	for _, s := range w.all() {
		total += len(s)
	}
	if total != 40*len(line) {
		t.Errorf("%d bytes written, want %d", total, 40*len(line))
	}
}

func TestRedirectStd(t *testing.T) {
	// Not parallel: the standard logger is process-wide.
	var b strings.Builder
	RedirectStd(zerolog.New(&b))
	defer stdlog.SetOutput(os.Stderr)
	stdlog.Printf("Failed to collect metrics data: %v", "boom")
	if got := b.String(); got != `{"level":"warn","component":"stdlog","message":"Failed to collect metrics data: boom"}`+"\n" {
		t.Errorf("got %q", got)
	}
}
