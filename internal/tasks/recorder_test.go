package tasks

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

type runs struct {
	mu  sync.Mutex
	got []Run
}

func (r *runs) RecordRun(_ context.Context, run Run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, run)
}

type namedBuilder struct{ BuilderFunc }

func (namedBuilder) SourceName() string { return "oms" }

// Every way a sync job ends is told to the Recorder, with what the history needs.
func TestHandleSyncRecordsEveryEnd(t *testing.T) {
	t.Parallel()
	transient := &upstream.Error{Vendor: "oms", Op: "ar.getList", Status: 502, Message: "bad gateway"}
	permanent := &upstream.Error{Vendor: "oms", Op: "ar.getList", Code: "2002", Message: "shop not found", Permanent: true}
	built := Built{Statement: &statement.Statement{SerialNo: "HK1"}, Difference: true, DifferenceAmount: decimal.RequireFromString("-96")}
	tests := []struct {
		name     string
		buildErr error
		saveErr  error
		final    bool
		outcome  string
		built    bool
		vendor   string
	}{
		{"saved", nil, nil, false, RunSaved, true, ""},
		{"transient, retries left", transient, nil, false, RunRetrying, false, "oms"},
		{"transient, last try", transient, nil, true, RunFailed, false, "oms"},
		{"permanent", permanent, nil, false, RunFailed, false, "oms"},
		{"勤策 refuses the statement", nil, &upstream.Error{Vendor: "waiqin", Op: "saveStatement", Message: "bad", Permanent: true}, false, RunFailed, true, "waiqin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &runs{}
			f := setup(t, nil)
			f.h.Statements = namedBuilder{func(context.Context, Sync) (Built, error) { return built, tt.buildErr }}
			f.h.Recorder = rec
			f.wq.saveErr = tt.saveErr
			f.h.attempt = func(context.Context) (int, bool) { return 2, tt.final }
			_ = f.h.HandleSync(context.Background(), syncTask(t, DataTypeStatement, "C002"))
			if len(rec.got) != 1 {
				t.Fatalf("recorded %d runs, want 1", len(rec.got))
			}
			r := rec.got[0]
			if r.Outcome != tt.outcome || (r.Built != nil) != tt.built || r.Source != "oms" || r.Sync.CustomerCode != "C002" ||
				r.At.IsZero() || r.Took <= 0 {
				t.Fatalf("run %+v", r)
			}
			if tt.outcome == RunSaved {
				if !r.Built.DifferenceAmount.Equal(decimal.RequireFromString("-96")) || r.Err != nil {
					t.Fatalf("saved run %+v", r)
				}
				return
			}
			var ue *upstream.Error
			if !errors.As(r.Err, &ue) || ue.Vendor != tt.vendor || r.Reason == "" || r.Retried != 2 {
				t.Fatalf("failed run %+v", r)
			}
		})
	}
}

// A malformed payload is no statement run: nothing is recorded.
func TestHandleSyncMalformedIsNotRecorded(t *testing.T) {
	t.Parallel()
	rec := &runs{}
	f := setup(t, nil)
	f.h.Recorder = rec
	_ = f.h.HandleSync(context.Background(), asynq.NewTask(TypeStatement, []byte("{")))
	if len(rec.got) != 0 {
		t.Fatalf("recorded %+v", rec.got)
	}
}
