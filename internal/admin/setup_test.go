package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const token = "test-admin-token-0123456789"

// syncedBuffer is a log sink safe for concurrent writes.
type syncedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	opt     asynq.RedisClientOpt
	rdb     redis.UniversalClient
	store   *failures.Store
	metrics *metrics.Metrics
	srv     *httptest.Server
	admin   *admin.Server
	in      *asynq.Inspector
	client  *asynq.Client
	log     *syncedBuffer
}

// setup starts an admin server on a fresh miniredis (or on opt when given).
func setup(t *testing.T, cfg admin.Config) *fixture {
	t.Helper()
	if cfg.RedisConnOpt == nil {
		mr := miniredis.RunT(t)
		cfg.RedisConnOpt = asynq.RedisClientOpt{Addr: mr.Addr()}
	}
	opt := cfg.RedisConnOpt.(asynq.RedisClientOpt)
	f := &fixture{opt: opt, log: &syncedBuffer{}}
	f.rdb = redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	f.store = failures.New(f.rdb, failures.Options{})
	f.metrics = metrics.New()
	cfg.Redis, cfg.Failures, cfg.Metrics = f.rdb, f.store, f.metrics
	cfg.Logger = zerolog.New(f.log)
	a, err := admin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.admin = a
	f.srv = httptest.NewServer(a)
	f.in = asynq.NewInspector(opt)
	f.client = asynq.NewClient(opt)
	t.Cleanup(func() {
		f.srv.Close()
		_ = a.Close()
		_ = f.in.Close()
		_ = f.client.Close()
		_ = f.rdb.Close()
	})
	return f
}

func setupToken(t *testing.T) *fixture {
	t.Helper()
	return setup(t, admin.Config{Token: token, DefaultTenant: ""})
}

// call sends a request with the admin token and decodes a JSON answer into out.
func (f *fixture) call(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	return f.callAs(t, "Bearer "+token, method, path, body, out)
}

func (f *fixture) callAs(t *testing.T, auth, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d, answer not JSON: %v\n%s", method, path, resp.StatusCode, err, b)
		}
	}
	return resp.StatusCode
}

// failing describes how the test worker fails one task.
type failing struct {
	task  *asynq.Task
	opts  []asynq.Option
	err   string
	retry bool // fail with retries left (state retry) instead of for good (archived)
}

// failTasks enqueues the tasks and runs a worker that fails each as told,
// recording final failures in the failure store like the real worker; it
// returns once asynq has archived or scheduled a retry for every task.
func (f *fixture) failTasks(t *testing.T, specs ...failing) {
	t.Helper()
	byID := map[string]failing{}
	for _, s := range specs {
		info, err := f.client.Enqueue(s.task, s.opts...)
		if err != nil {
			t.Fatal(err)
		}
		byID[info.ID] = s
	}
	done := make(chan struct{}, len(specs))
	srv := asynq.NewServer(f.opt, asynq.Config{
		Queues:            map[string]int{tasks.QueuePush: 1, tasks.QueueSync: 1, tasks.QueueReport: 1},
		TaskCheckInterval: 10 * time.Millisecond,
		RetryDelayFunc:    func(int, error, *asynq.Task) time.Duration { return time.Hour },
		ErrorHandler: f.store.ErrorHandler(zerolog.Nop(), asynq.ErrorHandlerFunc(func(context.Context, *asynq.Task, error) {
			done <- struct{}{}
		})),
		LogLevel: asynq.FatalLevel,
	})
	err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		s := byID[id]
		if s.retry {
			return errors.New(s.err)
		}
		return errors.Join(errors.New(s.err), asynq.SkipRetry)
	}))
	if err != nil {
		t.Fatal(err)
	}
	for range specs {
		<-done
	}
	// Shutdown waits for the workers, which archive or reschedule each task
	// after the ErrorHandler returned.
	srv.Shutdown()
}

func syncTask(t *testing.T, tenant, dataType, customer, start, end string) *asynq.Task {
	t.Helper()
	task, err := tasks.NewSyncTask(tasks.Sync{TenantID: tenant, MsgID: "m1", DataType: dataType,
		CustomerCode: customer, StartDate: start, EndDate: end})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func syncID(tenant, dataType, customer string) string {
	return tasks.SyncTaskID(tenant, "m1", dataType, customer)
}
