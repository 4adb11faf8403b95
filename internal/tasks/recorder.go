package tasks

import (
	"context"
	"time"
)

// Run outcomes passed to a Recorder: how a sync job ended, in the words of
// the run history (internal/history) and the console.
const (
	RunSaved    = "saved"    // built and saved in 勤策
	RunFailed   = "failed"   // permanent, or retries exhausted: reported to 勤策
	RunRetrying = "retrying" // transient failure, asynq will retry
	// RunConfirmed: built, but 勤策 holds the statement as 已确认, so it was
	// kept and not overwritten (KSF_CONFIRMED_POLICY=keep). The handler that
	// detects it passes this outcome.
	RunConfirmed = "confirmed"
)

// Run is how one sync job ended, for the run history.
type Run struct {
	Sync    Sync
	TaskID  string
	Outcome string // Run*
	Source  string // the builder's source ("oms", "jdy", "wdt"), when it names one
	// Built is the statement built, if the job got that far (nil when the
	// build failed).
	Built   *Built
	Err     error // the failure, for failed and retrying runs
	Reason  string
	Retried int
	At      time.Time
	Took    time.Duration
}

// Recorder keeps the outcome of every sync job (the run history). Nil is
// allowed. RecordRun must not fail the job: it logs and counts its own
// errors.
type Recorder interface {
	RecordRun(ctx context.Context, r Run)
}

// SourceNamer is implemented by builders that name their source.
type SourceNamer interface {
	SourceName() string
}

// end records how a sync job ended: outcome, reason, time taken since start.
func (h *Handlers) end(ctx context.Context, run Run, outcome, reason string, start time.Time) {
	run.Outcome, run.Reason, run.Took = outcome, reason, time.Since(start)
	h.record(ctx, run)
}

// record tells the Recorder how a sync job ended.
func (h *Handlers) record(ctx context.Context, r Run) {
	if h.Recorder == nil {
		return
	}
	if n, ok := h.builder(r.Sync.DataType).(SourceNamer); ok {
		r.Source = n.SourceName()
	}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	h.Recorder.RecordRun(context.WithoutCancel(ctx), r)
}
