package failures_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

type failure struct {
	retried int
	err     error
}

// runWorker starts an asynq server on f's Redis whose handler fails every
// task with fail(task), and whose ErrorHandler is wrap(next); next reports
// each failure on the returned channel.
func runWorker(t *testing.T, f *fixture, fail func(*asynq.Task) error, wrap func(asynq.ErrorHandler) asynq.ErrorHandler) <-chan failure {
	t.Helper()
	ch := make(chan failure, 16)
	next := asynq.ErrorHandlerFunc(func(ctx context.Context, _ *asynq.Task, err error) {
		n, _ := asynq.GetRetryCount(ctx)
		select {
		case ch <- failure{n, err}:
		default: // nobody waits for this one
		}
	})
	srv := asynq.NewServer(asynq.RedisClientOpt{Addr: f.mr.Addr()}, asynq.Config{
		Queues:                   map[string]int{tasks.QueueSync: 1, tasks.QueuePush: 1},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 0 },
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		TaskCheckInterval:        50 * time.Millisecond,
		ErrorHandler:             wrap(next),
		LogLevel:                 asynq.FatalLevel,
	})
	if err := srv.Start(asynq.HandlerFunc(func(_ context.Context, task *asynq.Task) error { return fail(task) })); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return ch
}

func enqueue(t *testing.T, f *fixture, task *asynq.Task, opts ...asynq.Option) {
	t.Helper()
	c := asynq.NewClient(asynq.RedisClientOpt{Addr: f.mr.Addr()})
	defer c.Close()
	if _, err := c.Enqueue(task, opts...); err != nil {
		t.Fatal(err)
	}
}

func newSync(t *testing.T, customer string) *asynq.Task {
	t.Helper()
	task, err := tasks.NewSyncTask(tasks.Sync{TenantID: "t1", MsgID: "m1", DataType: tasks.DataTypeStatement,
		CustomerCode: customer, StartDate: "2026-11-01", EndDate: "2026-11-30"})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestErrorHandlerRecordsFinalFailures(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	failed := runWorker(t, f, func(*asynq.Task) error { return errors.New("oms busy") },
		func(next asynq.ErrorHandler) asynq.ErrorHandler { return f.store.ErrorHandler(zerolog.Nop(), next) })

	// One retry allowed: the first failure is not final, the second is.
	enqueue(t, f, newSync(t, "c1"), asynq.MaxRetry(1))
	id := tasks.SyncTaskID("t1", "m1", tasks.DataTypeStatement, "c1")
	first := <-failed
	if first.retried != 0 {
		t.Fatalf("first failure retried=%d", first.retried)
	}
	// next runs after the record is written: nothing is recorded yet.
	if _, err := f.store.Get(ctx, id); !errors.Is(err, failures.ErrNotFound) {
		t.Fatalf("a failure asynq retries was recorded (err %v)", err)
	}
	if second := <-failed; second.retried != 1 {
		t.Fatalf("second failure retried=%d", second.retried)
	}
	r, err := f.store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := failures.Record{TaskID: id, Kind: tasks.TypeStatement, Queue: tasks.QueueSync, TenantID: "t1", MsgID: "m1",
		DataType: tasks.DataTypeStatement, CustomerCode: "c1", StartDate: "2026-11-01", EndDate: "2026-11-30",
		LastError: "oms busy", Retried: 1, MaxRetry: 1, FailedAt: t0}
	if string(r.Payload) != string(newSync(t, "c1").Payload()) {
		t.Fatalf("payload %s", r.Payload)
	}
	r.Payload = nil
	if r.TaskID != want.TaskID || r.Kind != want.Kind || r.Queue != want.Queue || r.TenantID != want.TenantID ||
		r.CustomerCode != want.CustomerCode || r.StartDate != want.StartDate || r.EndDate != want.EndDate ||
		r.LastError != want.LastError || r.Retried != 1 || r.MaxRetry != 1 || !r.FailedAt.Equal(t0) {
		t.Fatalf("record %+v\nwant   %+v", r, want)
	}

}

func TestErrorHandlerSkipRetry(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	failed := runWorker(t, f, func(*asynq.Task) error {
		return errors.Join(errors.New("period not served by jdy"), asynq.SkipRetry)
	}, func(next asynq.ErrorHandler) asynq.ErrorHandler { return f.store.ErrorHandler(zerolog.Nop(), next) })
	push, err := tasks.NewPushTask(tasks.Push{TenantID: "t1", MsgID: "m2", DataType: tasks.DataTypeStatement,
		Data: tasks.PushData{CustomerCodes: []string{"a", "b"}, StartDate: "2026-11-01", EndDate: "2026-11-02"}})
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, f, push)
	<-failed
	r, err := f.store.Get(context.Background(), tasks.PushTaskID("t1", "m2"))
	if err != nil {
		t.Fatal(err)
	}
	// SkipRetry is final at once, whatever the retry budget.
	if r.Retried != 0 || r.MaxRetry != 25 || r.Kind != tasks.TypePush || r.Queue != tasks.QueuePush ||
		r.CustomerCode != "a,b" || r.StartDate != "2026-11-01" || r.EndDate != "2026-11-02" {
		t.Fatalf("record %+v", r)
	}
}

// A task archived without the ErrorHandler (a worker that died, an operator) is found by
// Capture; the record survives the task's deletion from asynq.
func TestCaptureAndSurvival(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	enqueue(t, f, newSync(t, "c3"))
	id := tasks.SyncTaskID("t1", "m1", tasks.DataTypeStatement, "c3")
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: f.mr.Addr()})
	defer in.Close()
	if err := in.ArchiveTask(tasks.QueueSync, id); err != nil {
		t.Fatal(err)
	}
	n, err := f.store.Capture(ctx, in, tasks.QueueSync, tasks.QueueReport, "nonexistent")
	if err != nil || n != 1 {
		t.Fatalf("Capture = %d, %v; want 1", n, err)
	}
	if n, _ := f.store.Capture(ctx, in, tasks.QueueSync); n != 0 {
		t.Fatalf("second Capture wrote %d records, want 0", n)
	}
	if err := in.DeleteTask(tasks.QueueSync, id); err != nil {
		t.Fatal(err)
	}
	r, err := f.store.Get(ctx, id)
	if err != nil {
		t.Fatalf("record gone with the asynq task: %v", err)
	}
	if r.CustomerCode != "c3" || r.Kind != tasks.TypeStatement || !r.FailedAt.Equal(t0) || len(r.Payload) == 0 {
		t.Fatalf("record %+v", r)
	}
}

// A recorded task that later succeeds (re-run from the queue UI) stops
// counting as failed.
func TestMiddlewareResolves(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	id := tasks.SyncTaskID("t1", "m1", tasks.DataTypeStatement, "c4")
	if err := f.store.Record(ctx, syncRecord(id, "t1", "c4", "2026-11-01", "2026-11-30", "boom", t0.Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	enqueue(t, f, newSync(t, "c4"))
	enqueue(t, f, newSync(t, "c5")) // no record: nothing written
	done := make(chan string, 2)
	srv := asynq.NewServer(asynq.RedisClientOpt{Addr: f.mr.Addr()}, asynq.Config{
		Queues: map[string]int{tasks.QueueSync: 1}, TaskCheckInterval: 20 * time.Millisecond, LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	// The first middleware is the outermost: it reports after the store's ran.
	mux.Use(func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			id, _ := asynq.GetTaskID(ctx)
			done <- id
			return err
		})
	}, f.store.Middleware(zerolog.Nop()))
	mux.HandleFunc(tasks.TypeStatement, func(context.Context, *asynq.Task) error { return nil })
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	<-done
	<-done
	r, err := f.store.Get(ctx, id)
	if err != nil || !r.Replayed() || r.ReplayCount != 1 {
		t.Fatalf("record after success %+v %v", r, err)
	}
	if _, err := f.store.Get(ctx, tasks.SyncTaskID("t1", "m1", tasks.DataTypeStatement, "c5")); !errors.Is(err, failures.ErrNotFound) {
		t.Fatalf("a record appeared for a task that never failed: %v", err)
	}
}
