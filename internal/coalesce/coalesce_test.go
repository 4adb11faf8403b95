package coalesce_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/coalesce"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const testDB = 9 // this package's database on the real test server

type waiqin struct{ customers []string }

func (w waiqin) Customers(_ context.Context, _ string, fn func(string) error) error {
	for _, c := range w.customers {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}
func (waiqin) SaveStatement(context.Context, string, *statement.Statement) error { return nil }
func (waiqin) SaveExpense(context.Context, string, *statement.Expense) error     { return nil }
func (waiqin) SaveStatementError(context.Context, string, statement.ErrorLog) error {
	return nil
}
func (waiqin) SaveExpenseError(context.Context, string, statement.ErrorLog) error { return nil }

type fixture struct {
	h         *tasks.Handlers
	rdb       *redis.Client
	inspector *asynq.Inspector
	tenant    string
	mu        sync.Mutex
	builds    map[string]int           // msgId/customer → builds
	built     chan string              // each build, as msgId/customer
	block     map[string]chan struct{} // customer → released when closed
	done      chan string              // a job is done (its claim released), as msgId/customer
	fanOuts   map[string]tasks.PushResult
}

// FannedOut and SyncDone make the fixture the handlers' tasks.RunTracker:
// SyncDone is told after the claim is released.
func (f *fixture) FannedOut(_ context.Context, p tasks.Push, res tasks.PushResult) error {
	f.mu.Lock()
	f.fanOuts[p.MsgID] = res
	f.mu.Unlock()
	return nil
}
func (f *fixture) SyncDone(_ context.Context, s tasks.Sync, _ bool) error {
	f.done <- s.MsgID + "/" + s.CustomerCode
	return nil
}

func (f *fixture) waitDone(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case got := <-f.done:
			if got == want {
				return
			}
		case <-timeout:
			t.Fatalf("%s was not done", want)
		}
	}
}

func setup(t *testing.T, tenant string) *fixture {
	t.Helper()
	rd := redistest.New(t, testDB)
	opt, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	client := asynq.NewClientFromRedisClient(rdb)
	in := asynq.NewInspectorFromRedisClient(rdb)
	f := &fixture{rdb: rdb, inspector: in, tenant: tenant, builds: map[string]int{}, built: make(chan string, 100), done: make(chan string, 100), fanOuts: map[string]tasks.PushResult{}, block: map[string]chan struct{}{}}
	f.h = &tasks.Handlers{Waiqin: waiqin{customers: []string{"c1", "c2", "c3"}}, Enqueuer: client, Logger: zerolog.Nop(),
		Coalescer: coalesce.New(rdb, in, 0), Runs: f,
		InteractiveMax: 20} // as the worker runs: small pushes in the interactive lane, scheduled runs in sync
	f.h.Statements = tasks.BuilderFunc(func(ctx context.Context, s tasks.Sync) (tasks.Built, error) {
		f.mu.Lock()
		f.builds[s.MsgID+"/"+s.CustomerCode]++
		b := f.block[s.CustomerCode]
		f.mu.Unlock()
		if b != nil {
			<-b
		}
		f.built <- s.MsgID + "/" + s.CustomerCode
		return tasks.Built{Statement: &statement.Statement{SerialNo: "HK", CustomerCode: s.CustomerCode}}, nil
	})
	return f
}

func (f *fixture) push(t *testing.T, msgID, origin, start, end string, codes ...string) {
	t.Helper()
	task, err := tasks.NewPushTask(tasks.Push{TenantID: f.tenant, MsgID: msgID, DataType: tasks.DataTypeStatement, Origin: origin,
		Data: tasks.PushData{CustomerCodes: codes, StartDate: start, EndDate: end}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.h.HandlePush(context.Background(), task); err != nil {
		t.Fatal(err)
	}
}

// syncIDs are the sync tasks of f's tenant in state.
func (f *fixture) syncIDs(t *testing.T, list func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error)) []string {
	t.Helper()
	var ids []string
	prefix := "sync:" + f.tenant + ":"
	for _, q := range []string{tasks.QueueInteractive, tasks.QueueSync} {
		infos, err := list(q, asynq.PageSize(1000))
		if err != nil {
			continue
		}
		for _, i := range infos {
			if len(i.ID) > len(prefix) && i.ID[:len(prefix)] == prefix {
				ids = append(ids, i.ID[len(prefix):])
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func (f *fixture) serve(t *testing.T) {
	t.Helper()
	mux := asynq.NewServeMux()
	f.h.Register(mux)
	srv := asynq.NewServerFromRedisClient(f.rdb, asynq.Config{Concurrency: 4, Queues: map[string]int{tasks.QueueInteractive: 1, tasks.QueueSync: 1},
		Logger: quiet{}, LogLevel: asynq.ErrorLevel})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
}

func (f *fixture) waitBuilt(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case got := <-f.built:
			if got == want {
				return
			}
		case <-timeout:
			t.Fatalf("%s was not built", want)
		}
	}
}

type quiet struct{}

func (quiet) Debug(...any) {}
func (quiet) Info(...any)  {}
func (quiet) Warn(...any)  {}
func (quiet) Error(...any) {}
func (quiet) Fatal(...any) {}

// TestPushAndScheduledRunCoalesce: a scheduled run asking for customers a
// push's waiting jobs will build joins those jobs; a different period does
// not; once built, a new request builds again.
func TestPushAndScheduledRunCoalesce(t *testing.T) {
	t.Parallel()
	f := setup(t, "t-coalesce")
	const run = "schedule:t-coalesce:monthly-close:2026-11-01:2026-11-30"
	f.push(t, "m1", "push", "2026-11-01", "2026-11-30", "c1", "c2")
	f.push(t, run, "schedule:monthly-close", "2026-11-01", "2026-11-30") // every customer: c1, c2, c3
	f.push(t, "m2", "push", "2026-10-01", "2026-10-31", "c1")            // another period
	got := f.syncIDs(t, f.inspector.ListPendingTasks)
	want := []string{
		"m1:ksf_statement:c1", "m1:ksf_statement:c2", "m2:ksf_statement:c1",
		run + ":ksf_statement:c3",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("pending sync tasks\n%v\nwant\n%v", got, want)
	}
	f.mu.Lock()
	res := f.fanOuts[run]
	f.mu.Unlock()
	if res.Customers != 3 || res.FannedOut != 1 || res.Coalesced != 2 {
		t.Errorf("the scheduled run's fan-out %+v, want 3 customers, 1 queued, 2 coalesced", res)
	}

	// c2's job is kept running; c1's finishes.
	f.mu.Lock()
	hold := make(chan struct{})
	f.block["c2"] = hold
	f.mu.Unlock()
	f.serve(t)
	f.waitBuilt(t, "m1/c1")
	f.waitDone(t, "m1/c1")
	c1 := tasks.Sync{TenantID: f.tenant, DataType: tasks.DataTypeStatement, CustomerCode: "c1", StartDate: "2026-11-01", EndDate: "2026-11-30"}
	if n, _ := f.rdb.Exists(context.Background(), coalesce.Key(c1)).Result(); n != 0 {
		t.Fatal("the claim outlived its job")
	}
	// A request after completion builds again; one while c2's job runs does
	// not join it (its sources may have been read before the request).
	f.push(t, "m3", "push", "2026-11-01", "2026-11-30", "c1", "c2")
	f.waitBuilt(t, "m3/c1")
	close(hold)
	f.waitBuilt(t, "m3/c2")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.builds["m1/c1"] != 1 || f.builds["m3/c1"] != 1 || f.builds[run+"/c1"] != 0 || f.builds["m3/c2"] != 1 {
		t.Errorf("builds %v", f.builds)
	}
}

func TestClaimReplacesAGoneHolder(t *testing.T) {
	t.Parallel()
	f := setup(t, "t-gone")
	ctx := context.Background()
	s := tasks.Sync{TenantID: "t-gone", DataType: tasks.DataTypeStatement, CustomerCode: "c1", StartDate: "2026-11-01", EndDate: "2026-11-30"}
	l := coalesce.New(f.rdb, f.inspector, time.Minute)
	// A claim left by a job that no longer exists (deleted by an operator).
	if err := f.rdb.Set(ctx, coalesce.Key(s), "sync:t-gone:gone:ksf_statement:c1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	holder, err := l.Claim(ctx, s, "sync:t-gone:new:ksf_statement:c1")
	if err != nil || holder != "sync:t-gone:new:ksf_statement:c1" {
		t.Fatalf("Claim = %q, %v; want the claim taken over", holder, err)
	}
	if err := l.Release(ctx, s, "someone-else"); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.rdb.Get(ctx, coalesce.Key(s)).Result(); v != "sync:t-gone:new:ksf_statement:c1" {
		t.Errorf("a release by another job dropped the claim: %q", v)
	}
	if err := l.Release(ctx, s, "sync:t-gone:new:ksf_statement:c1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.rdb.Exists(ctx, coalesce.Key(s)).Result(); n != 0 {
		t.Error("the holder's release kept the claim")
	}
}
