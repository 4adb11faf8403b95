package process_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/process"
	"github.com/ksfsync/ksfsync/internal/ratelimit"
	"github.com/ksfsync/ksfsync/internal/vendors"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// jobEvents is a tasks.Observer that lets a test wait for what the worker
// did, instead of sleeping.
type jobEvents struct {
	mu     sync.Mutex
	events []string
	wake   chan struct{}
}

func newJobEvents() *jobEvents { return &jobEvents{wake: make(chan struct{}, 1)} }

func (e *jobEvents) add(s string) {
	e.mu.Lock()
	e.events = append(e.events, s)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *jobEvents) JobProcessed(kind, outcome string, _ time.Duration) {
	e.add("job " + kind + " " + outcome)
}
func (e *jobEvents) StatementSaved(kind string)      { e.add("saved " + kind) }
func (e *jobEvents) ErrorLogSent(kind string)        { e.add("errorlog " + kind) }
func (e *jobEvents) ReconcileDifference(kind string) { e.add("difference " + kind) }

func (e *jobEvents) count(event string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, x := range e.events {
		if x == event {
			n++
		}
	}
	return n
}

// waitFor waits until event happened n times (the deadline only guards a
// broken test; nothing sleeps).
func (e *jobEvents) waitFor(t *testing.T, event string, n int) {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for e.count(event) < n {
		select {
		case <-e.wake:
		case <-deadline.C:
			e.mu.Lock()
			defer e.mu.Unlock()
			t.Fatalf("waited for %d×%q; saw %v", n, event, e.events)
		}
	}
}

type e2e struct {
	cfg       *config.Config
	fakes     *demo.Fakes
	receiver  *process.Receiver
	worker    *process.Worker
	events    *jobEvents
	tenant    string
	rdb       redis.UniversalClient
	inspector *asynq.Inspector
	failures  *failures.Store
}

// e2eOption changes the setup before the worker starts: its own fakes,
// other settings.
type e2eOption func(t *testing.T, x *e2e)

// realRedisWorkers serializes the workers of the end-to-end tests on the
// real Redis: they share the package's database and so its queues, and a
// worker would take another test's tasks (with miniredis every test has a
// server of its own and they run in parallel).
var realRedisWorkers sync.Mutex

// envClusterAddrs names a Redis Cluster (seed nodes, comma-separated) the
// end-to-end tests run on instead of KSF_TEST_REDIS_URL or miniredis, so
// that cluster mode (hash tags, scripts, the cluster client) is tested; CI
// starts one.
const envClusterAddrs = "KSF_TEST_REDIS_CLUSTER_ADDRS"

// setupE2E runs a receiver and a worker on one Redis (the cluster of
// KSF_TEST_REDIS_CLUSTER_ADDRS, else the real one when KSF_TEST_REDIS_URL is
// set, else miniredis), the worker calling the demo's vendor fakes, unless
// an option replaces them.
func setupE2E(t *testing.T, opts ...e2eOption) *e2e {
	t.Helper()
	if addrs := os.Getenv(envClusterAddrs); addrs != "" {
		realRedisWorkers.Lock()
		t.Cleanup(realRedisWorkers.Unlock)
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
		return setupE2EOn(t, cc, "KSF_REDIS_CLUSTER_ADDRS="+addrs, opts)
	}
	rd := redistest.New(t, testDB)
	if rd.Real() {
		realRedisWorkers.Lock()
		t.Cleanup(realRedisWorkers.Unlock) // after the worker has closed
	}
	opt, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	return setupE2EOn(t, redis.NewClient(opt), "KSF_REDIS_URL="+rd.URL, opts)
}

// setupE2EOn is setupE2E on the Redis of rdb, which redisVar configures.
func setupE2EOn(t *testing.T, rdb redis.UniversalClient, redisVar string, opts []e2eOption) *e2e {
	t.Helper()
	fakes, err := demo.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fakes.Close)
	cfg := load(t, redisVar, "KSF_PUSH_SECRET=e2e-secret", "KSF_WORKER_CONCURRENCY=4", "KSF_ADMIN_TOKEN=t")
	fakes.Configure(cfg)
	x := &e2e{cfg: cfg, fakes: fakes, events: newJobEvents(), tenant: "e2e-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	for _, o := range opts {
		o(t, x)
	}
	x.rdb = rdb
	t.Cleanup(func() { _ = x.rdb.Close() })
	x.inspector = asynq.NewInspectorFromRedisClient(x.rdb)
	x.failures = failures.New(x.rdb, failures.Options{})
	x.worker = x.startWorker(t)
	x.receiver, _ = startReceiver(t, cfg)
	return x
}

func (x *e2e) startWorker(t *testing.T) *process.Worker {
	t.Helper()
	// Rate limits shared through the test's Redis, as the worker's own are.
	set, err := vendors.NewShared(x.cfg, nil, ratelimit.New(x.rdb), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	h := set.Handlers(nil, x.events, zerolog.Nop())
	w := process.NewWorker(x.cfg, zerolog.Nop())
	w.Handlers = h
	w.ShutdownTimeout = time.Second
	w.RetryDelay = func(int, error, *asynq.Task) time.Duration { return time.Second }
	w.Mux.Use(x.ownTasksOnly)
	if err := w.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	return w
}

// errForeignTask hands a task of another tenant back to the queue.
var errForeignTask = errors.New("e2e: another test's task")

// ownTasksOnly keeps the worker off tasks that are not this test's: on the
// real Redis other tests of the package queue pushes (TestReceiverDrains)
// that no worker of theirs consumes. Such a task is handed back as a retry,
// never built against this test's fakes.
func (x *e2e) ownTasksOnly(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p struct {
			TenantID string `json:"tenant_id"`
		}
		if err := json.Unmarshal(t.Payload(), &p); err == nil && p.TenantID != x.tenant {
			return errForeignTask
		}
		return next.ProcessTask(ctx, t)
	})
}

// push signs and posts a push like 勤策 does; it answers the HTTP status.
func (x *e2e) push(t *testing.T, msgID, dataType, codes, start, end string) int {
	t.Helper()
	status, body := x.pushBody(t, msgID, dataType, codes, start, end)
	if status != 200 {
		t.Logf("push %s: %d %s", msgID, status, body)
	}
	return status
}

// pushBody is push answering the body too.
func (x *e2e) pushBody(t *testing.T, msgID, dataType, codes, start, end string) (int, string) {
	t.Helper()
	data := `{"customer_code":"` + codes + `","start_date":"` + start + `","end_date":"` + end + `"}`
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	return postForm(t, x.receiver.PushAddr(), url.Values{"msgId": {msgID}, "tenantId": {x.tenant},
		"dataType": {dataType}, "timestamp": {ts}, "status": {"0"}, "data": {data},
		"digest": {digest.Push(data, "e2e-secret", ts)}})
}

func lastMonth() (string, string) {
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	return first.AddDate(0, -1, 0).Format(time.DateOnly), first.AddDate(0, 0, -1).Format(time.DateOnly)
}

// TestEndToEndDemoCustomers: a push for the demo's customers ends with their
// statements saved in the 勤策 fake, C002's with its 对账差异.
func TestEndToEndDemoCustomers(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	if status := x.push(t, "m1", tasks.DataTypeStatement, "C001,C002,C003", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "saved "+tasks.TypeStatement, 3)
	got := map[string]bool{}
	for _, s := range x.fakes.Waiqin.Statements() {
		got[s.CustomerCode] = true
		hasDiff := false
		for _, e := range s.Exts {
			hasDiff = hasDiff || e.Key == "对账差异"
		}
		if hasDiff != (s.CustomerCode == "C002") || s.StartDate != start || s.EndDate != end || !strings.HasPrefix(s.SerialNo, "HK") {
			t.Errorf("statement of %s: difference %v, %s..%s %s", s.CustomerCode, hasDiff, s.StartDate, s.EndDate, s.SerialNo)
		}
	}
	if len(got) != 3 {
		t.Fatalf("statements saved for %v", got)
	}
	if n := x.events.count("difference " + tasks.TypeStatement); n != 1 {
		t.Errorf("differences counted %d, want 1", n)
	}
}
