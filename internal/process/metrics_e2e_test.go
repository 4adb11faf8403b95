package process_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/process"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// workerLog reads a worker's JSON log (zerolog, one object per line): it
// counts the "job" lines by kind and outcome, remembers the admin address of
// "worker started", keeps every line for failure messages, and wakes a
// waiter after each line, so tests wait on what the worker says it did
// instead of sleeping.
type workerLog struct {
	wake chan<- struct{} // buffered; a full channel already holds a wake-up

	mu        sync.Mutex
	jobs      map[string]int // "kind outcome" → job lines
	started   bool
	adminAddr string
	lines     []string
	partial   []byte
}

func newWorkerLog(wake chan<- struct{}) *workerLog {
	return &workerLog{wake: wake, jobs: map[string]int{}}
}

// Write takes log output in any chunks.
func (l *workerLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lineLocked(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	l.mu.Unlock()
	wakeUp(l.wake)
	return len(p), nil
}

func (l *workerLog) lineLocked(line string) {
	l.lines = append(l.lines, line)
	var f struct {
		Message   string `json:"message"`
		Kind      string `json:"kind"`
		Outcome   string `json:"outcome"`
		AdminAddr string `json:"admin_addr"`
	}
	if json.Unmarshal([]byte(line), &f) != nil {
		return
	}
	switch f.Message {
	case "job":
		l.jobs[f.Kind+" "+f.Outcome]++
	case "worker started":
		l.started, l.adminAddr = true, f.AdminAddr
	}
}

// count is the number of job lines of kind with outcome.
func (l *workerLog) count(kind, outcome string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.jobs[kind+" "+outcome]
}

// jobLines is the number of job lines of kind, whatever their outcome.
func (l *workerLog) jobLines(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for k, c := range l.jobs {
		if strings.HasPrefix(k, kind+" ") {
			n += c
		}
	}
	return n
}

func (l *workerLog) startedAt() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.adminAddr, l.started
}

func (l *workerLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func wakeUp(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// waitOn waits until cond holds, re-checking it each time wake fires. The
// deadline only guards a broken test: nothing sleeps. diag describes the
// state for the failure message.
func waitOn(t *testing.T, wake <-chan struct{}, within time.Duration, what string, cond func() bool, diag func() string) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-wake:
		case <-deadline.C:
			t.Fatalf("waited %v for %s\n%s", within, what, diag())
		}
	}
}

// scrapeAdmin fetches an admin listener's /metrics with the bearer token
// and parses the text exposition.
func scrapeAdmin(t *testing.T, addr, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/metrics: %d %s", addr, resp.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s/metrics: %v\n%s", addr, err, body)
	}
	return fams
}

// series returns the value of family name's series with exactly labels
// (name, value pairs): a counter's or gauge's value, a histogram's sample
// count; NaN when the series is absent.
func series(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range fams[name].GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return math.NaN()
}

// orZero reads an absent series as 0 (a counter not incremented yet).
func orZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// metricCheck is one series' expected change between two scrapes.
type metricCheck struct {
	name   string
	labels []string
	// min and max bound after − before (absent series count as 0); max < 0
	// means no upper bound.
	min, max float64
	// present: the series must exist already in the first scrape (zero
	// series the metrics package creates up front).
	present bool
}

func checkDeltas(t *testing.T, who string, before, after map[string]*dto.MetricFamily, checks []metricCheck) {
	t.Helper()
	for _, c := range checks {
		b, a := series(before, c.name, c.labels...), series(after, c.name, c.labels...)
		if c.present && math.IsNaN(b) {
			t.Errorf("%s: %s%v absent before any work (it should exist at 0)", who, c.name, c.labels)
		}
		if math.IsNaN(a) {
			t.Errorf("%s: %s%v absent after the push", who, c.name, c.labels)
			continue
		}
		d := a - orZero(b)
		if d < c.min || (c.max >= 0 && d > c.max) {
			t.Errorf("%s: %s%v went %v → %v (change %v, want %v..%v)", who, c.name, c.labels, b, a, d, c.min, c.max)
		}
	}
}

func hasFamilyPrefix(fams map[string]*dto.MetricFamily, prefix string) []string {
	var names []string
	for name := range fams {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	return names
}

// TestMetricsFollowPushesAndJobs: a receiver and a worker wired as in
// production (each its own metrics, the worker's handlers built by
// process.vendors.New from the configuration) on one Redis, the worker calling the
// demo's vendor fakes. Scraping both admin listeners before and after a push
// shows the push counted by the receiver, the jobs, the vendor calls and the
// saved statements by the worker, asynq's queue series (exported by the
// receiver only) grown, and a forged digest counted as a digest failure.
//
// Not parallel: on the real Redis the package's tests share one database,
// and another test's worker would take this test's jobs. Sequential tests
// run before the parallel ones start.
func TestMetricsFollowPushesAndJobs(t *testing.T) {
	const token, secret = "metrics-token", "metrics-secret"
	rd := redistest.New(t, testDB)
	fakes, err := demo.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fakes.Close)
	cfg := load(t, "KSF_REDIS_URL="+rd.URL, "KSF_PUSH_SECRET="+secret, "KSF_WORKER_CONCURRENCY=4", "KSF_ADMIN_TOKEN="+token)
	fakes.Configure(cfg)

	wake := make(chan struct{}, 1)
	wlog := newWorkerLog(wake)
	w := process.NewWorker(cfg, zerolog.New(wlog))
	w.ShutdownTimeout = 5 * time.Second
	if err := w.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	workerOpen := true
	closeWorker := func() {
		if workerOpen {
			workerOpen = false
			if err := w.Close(context.Background()); err != nil {
				t.Errorf("worker Close: %v", err)
			}
		}
	}
	t.Cleanup(closeWorker)
	r, _ := startReceiver(t, cfg)

	// The token is required.
	if code := get(t, "http://"+r.AdminAddr()+"/metrics"); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token = %d, want 401", code)
	}
	recv0 := scrapeAdmin(t, r.AdminAddr(), token)
	work0 := scrapeAdmin(t, w.AdminAddr(), token)

	tenant := "metrics-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	start, end := shanghaiLastMonth()
	data := `{"customer_code":"C001,C002,C003","start_date":"` + start + `","end_date":"` + end + `"}`
	send := func(msgID, sign string, want int) {
		t.Helper()
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		status, body := postForm(t, r.PushAddr(), url.Values{"msgId": {msgID}, "tenantId": {tenant},
			"dataType": {tasks.DataTypeStatement}, "timestamp": {ts}, "status": {"0"}, "data": {data},
			"digest": {digest.Push(data, sign, ts)}})
		if status != want {
			t.Fatalf("push %s: %d %s, want %d", msgID, status, body, want)
		}
	}
	send("m1", secret, http.StatusOK)
	send("m1", secret, http.StatusOK) // 勤策 retries: already queued
	send("m2", "forged-secret", http.StatusUnauthorized)
	waitOn(t, wake, 30*time.Second, "the push's fan-out and three statements",
		func() bool {
			return wlog.count(tasks.TypePush, "ok") == 1 && wlog.jobLines(tasks.TypeStatement) >= 3
		}, wlog.String)
	if n := wlog.count(tasks.TypeStatement, "ok"); n != 3 {
		t.Fatalf("statement jobs ok: %d, want 3\n%s", n, wlog)
	}

	work1 := scrapeAdmin(t, w.AdminAddr(), token)
	// Closing the worker waits for asynq to mark the jobs done: the queue
	// series read next are final.
	closeWorker()
	recv1 := scrapeAdmin(t, r.AdminAddr(), token)

	checkDeltas(t, "receiver", recv0, recv1, []metricCheck{
		{name: "ksf_pushes_total", labels: []string{"data_type", "ksf_statement", "outcome", "queued"}, min: 1, max: 1, present: true},
		{name: "ksf_pushes_total", labels: []string{"data_type", "ksf_statement", "outcome", "already_queued"}, min: 1, max: 1},
		{name: "ksf_pushes_total", labels: []string{"data_type", "ksf_statement", "outcome", "unauthorized"}, min: 1, max: 1},
		{name: "ksf_push_duration_seconds", labels: []string{"outcome", "queued"}, min: 1, max: 1},
		{name: "ksf_enqueue_duration_seconds", min: 1, max: 2}, // the repeat may reach Redis too
		{name: "ksf_digest_failures_total", labels: []string{"reason", "mismatch"}, min: 1, max: 1},
		{name: "asynq_tasks_enqueued", labels: []string{"queue", "push", "state", "completed"}, min: 1, max: -1},
		// A push of 3 customers is interactive work: its sync tasks are on
		// the interactive queue, which the receiver exports like the others.
		{name: "asynq_tasks_enqueued", labels: []string{"queue", "interactive", "state", "completed"}, min: 3, max: -1},
		{name: "asynq_tasks_processed_total", labels: []string{"queue", "interactive"}, min: 3, max: -1},
		{name: "asynq_queue_size", labels: []string{"queue", "interactive"}, min: 0, max: -1},
	})
	if v := series(recv1, "asynq_tasks_enqueued", "queue", "interactive", "state", "archived"); orZero(v) != 0 {
		t.Errorf("receiver: archived sync tasks: %v", v)
	}
	checkDeltas(t, "worker", work0, work1, []metricCheck{
		{name: "ksf_jobs_processed_total", labels: []string{"kind", "ksf:push", "outcome", "ok"}, min: 1, max: 1, present: true},
		{name: "ksf_jobs_processed_total", labels: []string{"kind", "ksf:statement", "outcome", "ok"}, min: 3, max: 3, present: true},
		{name: "ksf_jobs_processed_total", labels: []string{"kind", "ksf:statement", "outcome", "failed"}, min: 0, max: 0, present: true},
		{name: "ksf_job_duration_seconds", labels: []string{"kind", "ksf:statement"}, min: 3, max: 3},
		{name: "ksf_statements_saved_total", labels: []string{"kind", "ksf:statement"}, min: 3, max: 3},
		{name: "ksf_reconcile_differences_total", labels: []string{"kind", "ksf:statement"}, min: 1, max: 1}, // C002
		{name: "ksf_upstream_calls_total", labels: []string{"vendor", "oms", "endpoint", "ar.getList", "outcome", "ok"}, min: 3, max: -1},
		{name: "ksf_upstream_calls_total", labels: []string{"vendor", "oms", "endpoint", "finance.getTransactionList", "outcome", "ok"}, min: 3, max: -1},
		{name: "ksf_upstream_calls_total", labels: []string{"vendor", "waiqin", "endpoint", "saveStatement", "outcome", "ok"}, min: 3, max: 3},
		{name: "ksf_upstream_call_duration_seconds", labels: []string{"vendor", "waiqin", "endpoint", "saveStatement"}, min: 3, max: 3},
	})
	// Each process counts what it did itself: the pushes in the receiver,
	// the jobs in the worker; the shared queues only in the receiver.
	if v := series(recv1, "ksf_jobs_processed_total", "kind", "ksf:statement", "outcome", "ok"); v != 0 {
		t.Errorf("receiver counts statement jobs: %v", v)
	}
	if v := series(work1, "ksf_pushes_total", "data_type", "ksf_statement", "outcome", "queued"); v != 0 {
		t.Errorf("worker counts pushes: %v", v)
	}
	if names := hasFamilyPrefix(work1, "asynq_"); len(names) > 0 {
		t.Errorf("the worker exports queue series %v; only receivers should", names)
	}
	if names := hasFamilyPrefix(recv1, "asynq_"); len(names) == 0 {
		t.Error("the receiver exports no asynq_ queue series")
	}
}

// shanghaiLastMonth is the last calendar month in Shanghai (yyyy-MM-dd bounds), the
// period the demo fakes are seeded for.
func shanghaiLastMonth() (string, string) {
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	return first.AddDate(0, -1, 0).Format(time.DateOnly), first.AddDate(0, 0, -1).Format(time.DateOnly)
}
