package metrics_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/logging/logtest"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

// The push route and the worker's handlers report to Metrics.
var (
	_ webhook.Observer = (*metrics.Metrics)(nil)
	_ tasks.Observer   = (*metrics.Metrics)(nil)
	_ history.Observer = (*metrics.Metrics)(nil)
)

// The push outcomes and digest reasons the webhook reports are in the fixed sets.
func TestWebhookValuesKnown(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	outcomes := []string{webhook.OutcomeQueued, webhook.OutcomeAlreadyQueued, webhook.OutcomeBadRequest, webhook.OutcomeUnauthorized,
		webhook.OutcomeTooLarge, webhook.OutcomeUnknownDataType, webhook.OutcomeUnavailable, webhook.OutcomeInternal}
	for _, o := range outcomes {
		m.PushHandled(tasks.DataTypeStatement, o, time.Millisecond)
	}
	for _, r := range []string{"mismatch", "malformed", "too_old", "no_secret", "unknown_tenant"} {
		m.DigestFailed(r)
	}
	fams, _ := scrape(t, m)
	if v := value(fams, "ksf_pushes_total", "data_type", "ksf_statement", "outcome", "other"); !math.IsNaN(v) {
		t.Fatalf("a webhook outcome counted as other (%v)", v)
	}
	if v := value(fams, "ksf_digest_failures_total", "reason", "other"); !math.IsNaN(v) {
		t.Fatalf("a webhook digest reason counted as other (%v)", v)
	}
}

// scrape fetches the handler's text exposition and parses it.
func scrape(t *testing.T, m *metrics.Metrics) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %s", resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}
	return fams, string(body)
}

// value returns the counter/gauge value, or the histogram's sample count,
// of the series of family name with exactly labels; NaN if absent.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f, ok := fams[name]
	if !ok {
		return math.NaN()
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, l := range m.GetLabel() {
			if want[l.GetName()] != l.GetValue() {
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

func histSum(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	for _, m := range fams[name].GetMetric() {
		got := []string{}
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName(), l.GetValue())
		}
		if fmt.Sprint(got) == fmt.Sprint(labels) {
			return m.GetHistogram().GetSampleSum()
		}
	}
	return math.NaN()
}

func TestSeriesFollowEvents(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	before, _ := scrape(t, m)
	// Zero series exist before the first event.
	if v := value(before, "ksf_pushes_total", "data_type", "ksf_statement", "outcome", "queued"); v != 0 {
		t.Fatalf("zero series: %v", v)
	}
	if v := value(before, "ksf_jobs_processed_total", "kind", "ksf:expense", "outcome", "failed"); v != 0 {
		t.Fatalf("zero series: %v", v)
	}

	m.PushHandled(tasks.DataTypeStatement, metrics.PushQueued, 20*time.Millisecond)
	m.PushHandled(tasks.DataTypeStatement, metrics.PushQueued, 30*time.Millisecond)
	m.PushHandled(tasks.DataTypeExpense, metrics.PushAlreadyQueued, time.Millisecond)
	m.PushHandled("ksf_nonsense", "weird outcome", time.Millisecond)
	m.DigestFailed(metrics.DigestReason(digest.ErrMismatch))
	m.DigestFailed(metrics.DigestReason(fmt.Errorf("wrapped: %w", digest.ErrTooOld)))
	m.DigestFailed("a reason nobody knows")
	m.Enqueued(2 * time.Millisecond)
	m.Enqueued(3 * time.Millisecond)
	m.JobProcessed(tasks.TypePush, metrics.JobOK, time.Second)
	m.JobProcessed(tasks.TypeStatement, metrics.JobRetry, time.Second)
	m.JobProcessed(tasks.TypeStatement, metrics.JobFailed, 2*time.Second)
	m.JobProcessed(tasks.TypeExpense, tasks.OutcomeConfirmed, time.Second)
	m.JobProcessed("ksf:unknown", metrics.JobOK, time.Second)
	m.ObserveCall("oms", "ar.getList", upstream.OutcomeOK, 100*time.Millisecond)
	m.ObserveCall("oms", "ar.getList", upstream.OutcomeTransient, 200*time.Millisecond)
	m.StatementSaved(tasks.TypeStatement)
	m.StatementSaved(tasks.DataTypeExpense) // a data type counts as its kind
	m.ErrorLogSent(tasks.TypeExpense)
	m.ReconcileDifference(tasks.TypeStatement)
	m.HistoryDropped("run", 3)
	m.HistoryDropped("body", 1)
	m.HistoryDropped("nonsense", 1)
	m.HistoryWriteFailed()

	fams, _ := scrape(t, m)
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"ksf_pushes_total", []string{"data_type", "ksf_statement", "outcome", "queued"}, 2},
		{"ksf_jobs_processed_total", []string{"kind", "ksf:expense", "outcome", "confirmed"}, 1},
		{"ksf_pushes_total", []string{"data_type", "ksf_expense", "outcome", "already_queued"}, 1},
		{"ksf_pushes_total", []string{"data_type", "other", "outcome", "other"}, 1},
		{"ksf_push_duration_seconds", []string{"outcome", "queued"}, 2},
		{"ksf_digest_failures_total", []string{"reason", "mismatch"}, 1},
		{"ksf_digest_failures_total", []string{"reason", "too_old"}, 1},
		{"ksf_digest_failures_total", []string{"reason", "other"}, 1},
		{"ksf_enqueue_duration_seconds", nil, 2},
		{"ksf_jobs_processed_total", []string{"kind", "ksf:push", "outcome", "ok"}, 1},
		{"ksf_jobs_processed_total", []string{"kind", "ksf:statement", "outcome", "retry"}, 1},
		{"ksf_jobs_processed_total", []string{"kind", "ksf:statement", "outcome", "failed"}, 1},
		{"ksf_jobs_processed_total", []string{"kind", "other", "outcome", "ok"}, 1},
		{"ksf_job_duration_seconds", []string{"kind", "ksf:statement"}, 2},
		{"ksf_upstream_calls_total", []string{"vendor", "oms", "endpoint", "ar.getList", "outcome", "ok"}, 1},
		{"ksf_upstream_calls_total", []string{"vendor", "oms", "endpoint", "ar.getList", "outcome", "transient"}, 1},
		{"ksf_upstream_call_duration_seconds", []string{"vendor", "oms", "endpoint", "ar.getList"}, 2},
		{"ksf_statements_saved_total", []string{"kind", "ksf:statement"}, 1},
		{"ksf_statements_saved_total", []string{"kind", "ksf:expense"}, 1},
		{"ksf_error_logs_sent_total", []string{"kind", "ksf:expense"}, 1},
		{"ksf_reconcile_differences_total", []string{"kind", "ksf:statement"}, 1},
		{"ksf_history_dropped_total", []string{"what", "run"}, 3},
		{"ksf_history_dropped_total", []string{"what", "body"}, 1},
		{"ksf_history_dropped_total", []string{"what", "period"}, 0},
		{"ksf_history_dropped_total", []string{"what", "other"}, 1},
		{"ksf_history_write_failures_total", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name+fmt.Sprint(tt.labels), func(t *testing.T) {
			t.Parallel()
			if got := value(fams, tt.name, tt.labels...); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	if s := histSum(fams, "ksf_enqueue_duration_seconds"); math.Abs(s-0.005) > 1e-9 {
		t.Fatalf("enqueue sum %v, want 0.005", s)
	}
	if s := histSum(fams, "ksf_job_duration_seconds", "kind", "ksf:statement"); s != 3 {
		t.Fatalf("job duration sum %v, want 3", s)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Fatal("Go runtime collector missing")
	}
}

// A client that passed a URL as the endpoint must not leak ids or secrets
// into label values; unknown vendors and outcomes are bounded too.
func TestNoSecretInLabels(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	const secret = "s3cr3t-token-value"
	m.ObserveCall("oms", "https://oms.example/index.php?token="+secret, upstream.OutcomeOK, time.Millisecond)
	m.ObserveCall("oms", "ar.getList&token="+secret, upstream.OutcomeOK, time.Millisecond)
	m.ObserveCall("vendor-"+secret, "x", "outcome-"+secret, time.Millisecond)
	m.DigestFailed(secret)
	m.PushHandled(secret, secret, time.Millisecond)
	fams, text := scrape(t, m)
	if strings.Contains(text, secret) {
		t.Fatalf("secret in the exposition:\n%s", text)
	}
	if v := value(fams, "ksf_upstream_calls_total", "vendor", "oms", "endpoint", "other", "outcome", "ok"); v != 2 {
		t.Fatalf("oms/other = %v, want 2", v)
	}
	if v := value(fams, "ksf_upstream_calls_total", "vendor", "other", "endpoint", "x", "outcome", "other"); v != 1 {
		t.Fatalf("other/x/other = %v, want 1", v)
	}
}

func TestDigestReason(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]string{
		digest.ErrMissingDigest: "missing", digest.ErrMalformedDigest: "malformed", digest.ErrMismatch: "mismatch",
		digest.ErrBadTimestamp: "bad_timestamp", digest.ErrTooOld: "too_old", digest.ErrNoSecret: "no_secret",
		errors.New("x"): "other",
	} {
		if got := metrics.DigestReason(err); got != want {
			t.Errorf("DigestReason(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestNilMetricsIgnoresCalls(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	m.PushHandled("ksf_statement", metrics.PushQueued, time.Second)
	m.DigestFailed(metrics.DigestMismatch)
	m.Enqueued(time.Second)
	m.ObserveCall("oms", "ar.getList", "ok", time.Second)
	m.JobProcessed(tasks.TypePush, metrics.JobOK, time.Second)
	m.StatementSaved(tasks.TypeStatement)
	m.ErrorLogSent(tasks.TypeStatement)
	m.ReconcileDifference(tasks.TypeStatement)
}

func TestQueueMetrics(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	opt := asynq.RedisClientOpt{Addr: mr.Addr()}
	c := asynq.NewClient(opt)
	defer c.Close()
	for i := range 3 {
		if _, err := c.Enqueue(asynq.NewTask(tasks.TypeStatement, []byte("{}")), asynq.Queue(tasks.QueueSync), asynq.TaskID(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	in := asynq.NewInspector(opt)
	defer in.Close()
	m := metrics.New()
	logs := &logtest.Buffer{}
	if err := m.RegisterQueueMetrics(in, zerolog.New(logs)); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterQueueMetrics(in, zerolog.Nop()); err == nil {
		t.Fatal("registering the queue metrics twice succeeded")
	}
	fams, _ := scrape(t, m)
	if v := value(fams, "asynq_queue_size", "queue", "sync"); v != 3 {
		t.Fatalf("asynq_queue_size{sync} = %v, want 3", v)
	}
	if v := value(fams, "asynq_tasks_enqueued", "queue", "sync", "state", "pending"); v != 3 {
		t.Fatalf("asynq_tasks_enqueued{sync,pending} = %v, want 3", v)
	}
	if v := value(fams, "asynq_queue_paused", "queue", "sync"); v != 0 {
		t.Fatalf("asynq_queue_paused{sync} = %v, want 0", v)
	}
	lintScrape(t, m)

	// Redis gone: the queue metrics fail, the ksf_ series are still served.
	mr.Close()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "ksf_pushes_total") {
		t.Fatalf("status %d without ksf_ series:\n%s", resp.StatusCode, body)
	}
	if out := logs.String(); !strings.Contains(out, "queue metrics unavailable") || len(logtest.Malformed(out)) > 0 {
		t.Errorf("the failed read is not one JSON warning:\n%s", out)
	}
}

// lintScrape runs promtool's checks (promlint, what "promtool check
// metrics" runs) over m's scrape.
func lintScrape(t *testing.T, m *metrics.Metrics) {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestMetricsPassPromlint: every ksf_ series, after one event of each
// kind, passes promtool's checks.
func TestMetricsPassPromlint(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.PushHandled("ksf_statement", metrics.PushQueued, time.Millisecond)
	m.DigestFailed(metrics.DigestFuture)
	m.Enqueued(time.Millisecond)
	m.ObserveCall("oms", "ar.getList", "ok", time.Second)
	m.JobProcessed(tasks.TypeStatement, metrics.JobOK, time.Second)
	m.StatementSaved(tasks.TypeStatement)
	m.ErrorLogSent(tasks.TypeStatement)
	m.ReconcileDifference(tasks.TypeStatement)
	lintScrape(t, m)
}

func ExampleMetrics() {
	m := metrics.New()
	m.PushHandled("ksf_statement", metrics.PushQueued, 12*time.Millisecond)
	m.JobProcessed("ksf:statement", metrics.JobFailed, 3*time.Second)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var lines []string
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "ksf_pushes_total{") || strings.HasPrefix(l, `ksf_jobs_processed_total{kind="ksf:statement"`) {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// ksf_jobs_processed_total{kind="ksf:statement",outcome="failed"} 1
	// ksf_jobs_processed_total{kind="ksf:statement",outcome="ok"} 0
	// ksf_jobs_processed_total{kind="ksf:statement",outcome="retry"} 0
	// ksf_pushes_total{data_type="ksf_expense",outcome="queued"} 0
	// ksf_pushes_total{data_type="ksf_statement",outcome="queued"} 1
}
