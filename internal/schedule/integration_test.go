package schedule

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const testDB = 6 // this package's database on the real test server

func setupRedis(t *testing.T) *redis.Client {
	t.Helper()
	rd := redistest.New(t, testDB)
	opt, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestProcessesFireOnce: two and three scheduler processes, each with its
// own Redis connections, fire the same schedule in the same minute on one
// Redis; one run is queued.
func TestProcessesFireOnce(t *testing.T) {
	t.Parallel()
	for _, procs := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d processes", procs), func(t *testing.T) {
			t.Parallel()
			rdb := setupRedis(t)
			tenant := fmt.Sprintf("t-fire-%d", procs) // tests share the database
			sch := mustSchedule(t, Spec{Tenant: tenant, Name: "monthly-close", Cron: "0 6 1 * *",
				DataTypes: []string{"ksf_statement", "ksf_expense"}, Period: "last_month"})
			fireAt := at("2026-12-01 06:00")
			var mu sync.Mutex
			queued := map[string]int{} // data type → enqueues that queued it
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range procs {
				o := rdb.Options()
				c := redis.NewClient(&redis.Options{Addr: o.Addr, DB: o.DB, Username: o.Username, Password: o.Password}) // a process of its own
				t.Cleanup(func() { _ = c.Close() })
				client := asynq.NewClientFromRedisClient(c)
				s := New([]Schedule{sch}, func(ctx context.Context, p tasks.Push) (bool, error) {
					already, err := tasks.Enqueue(ctx, client, p)
					if err == nil && !already {
						mu.Lock()
						queued[p.DataType]++
						mu.Unlock()
					}
					return already, err
				}, Options{Runs: NewRuns(c, nil)})
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					// Each process wakes at another second of 06:00.
					s.Tick(context.Background(), fireAt.Add(time.Duration(i)*7*time.Second))
				}()
			}
			close(start)
			wg.Wait()
			if queued["ksf_statement"] != 1 || queued["ksf_expense"] != 1 {
				t.Fatalf("queued per data type %v across %d processes, want 1 each", queued, procs)
			}
			in := asynq.NewInspectorFromRedisClient(rdb)
			runID := "schedule:" + tenant + ":monthly-close:2026-11-01:2026-11-30"
			for _, dt := range []string{"ksf_statement", "ksf_expense"} {
				info, err := in.GetTaskInfo(tasks.QueuePush, runID+":"+dt)
				if err != nil {
					t.Fatalf("task of %s: %v", dt, err)
				}
				if info.Type != tasks.TypePush || info.State != asynq.TaskStatePending {
					t.Errorf("task %s: %s %s", info.ID, info.Type, info.State)
				}
			}
			fired, err := NewRuns(rdb, nil).LastFired(context.Background(), tenant, "monthly-close")
			if err != nil || !fired.Equal(fireAt) {
				t.Errorf("last fire time %s, %v; want %s", fired, err, fireAt)
			}
			// Kept until the next fire, however far: a quarterly schedule's
			// last fire must not expire into "never ran" (the alert).
			if ttl, err := rdb.TTL(context.Background(), firedPrefix+tenant+":monthly-close").Result(); err != nil || ttl != -1 {
				t.Errorf("last fire time's TTL %v, %v; want none", ttl, err)
			}
			run, err := NewRuns(rdb, nil).Last(context.Background(), tenant, "monthly-close")
			if err != nil || run == nil || run.ID != runID || run.Pushes != 2 || run.QueuedAt == nil {
				t.Fatalf("last run %+v, %v", run, err)
			}
		})
	}
}

// TestRunCompletes follows a run's record to completion.
func TestRunCompletes(t *testing.T) {
	t.Parallel()
	rdb := setupRedis(t)
	ctx := context.Background()
	runs := NewRuns(rdb, nil)
	sch := mustSchedule(t, Spec{Tenant: "t-complete", Name: "daily", Cron: "30 2 * * *",
		DataTypes: []string{"ksf_statement", "ksf_expense"}, Period: "days:1"})
	q := newQueue()
	s := New([]Schedule{sch}, q.enqueue, Options{Runs: runs})
	res, err := s.Fire(ctx, sch, at("2026-12-02 02:30"), "")
	if err != nil {
		t.Fatal(err)
	}
	p := tasks.Push{MsgID: res.RunID, Origin: "schedule:daily"}
	step := func(f func() error, complete bool) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		r, err := runs.Last(ctx, "t-complete", "daily")
		if err != nil || r == nil {
			t.Fatalf("last run %v %v", r, err)
		}
		if (r.CompletedAt != nil) != complete {
			t.Fatalf("run %+v: complete = %v, want %v", r, r.CompletedAt != nil, complete)
		}
	}
	sync := tasks.Sync{MsgID: res.RunID}
	step(func() error { return runs.FannedOut(ctx, p, tasks.PushResult{FannedOut: 2}) }, false)
	step(func() error { return runs.SyncDone(ctx, sync, true) }, false) // a job finishes before the other fan-out
	step(func() error { return runs.FannedOut(ctx, p, tasks.PushResult{FannedOut: 1, Coalesced: 1}) }, false)
	step(func() error { return runs.SyncDone(ctx, sync, false) }, false)
	step(func() error { return runs.SyncDone(ctx, sync, true) }, true)
	r, _ := runs.Last(ctx, "t-complete", "daily")
	if r.Jobs != 3 || r.Done != 2 || r.Failed != 1 || r.Coalesced != 1 || r.FannedOut != 2 {
		t.Errorf("run %+v", r)
	}
	// A push whose msgId merely looks like a run id creates no record.
	if err := runs.SyncDone(ctx, tasks.Sync{MsgID: "schedule:forged"}, true); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, runKey("schedule:forged")).Result(); n != 0 {
		t.Error("a record was created for an unknown run")
	}
}
