// Package metrics owns ksfsync's Prometheus series (names prefixed ksf_)
// and serves them, with asynq's queue metrics, on the admin listener's
// /metrics. Every series is described in docs/metrics.md.
//
// Labels are bounded: no tenant or customer labels (the scheduler's series, in
// internal/schedule, carry the configured tenant and schedule names), and every kind, data
// type, outcome and reason is taken from a fixed set (anything else is
// counted as "other"), so a bad push cannot create series.
package metrics

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Other replaces a label value outside its fixed set.
const Other = "other"

// Push outcomes (PushHandled): the webhook.Outcome* values.
const (
	PushQueued           = "queued"             // 200: durably queued now
	PushAlreadyQueued    = "already_queued"     // 200: same tenant + msgId queued before
	PushReplayed         = "replayed"           // 200: a signed push re-sent under another msgId; nothing queued
	PushBadRequest       = "bad_request"        // 400: malformed body, field or data
	PushUnauthorized     = "unauthorized"       // 401: digest or tenant refused
	PushTooLarge         = "too_large"          // 413
	PushMethodNotAllowed = "method_not_allowed" // 405: GET (or another method) on the push route
	PushUnknownDataType  = "unknown_data_type"  // 422
	PushUnavailable      = "unavailable"        // 503: Redis could not take it
	PushBusy             = "busy"               // 503: too many large bodies being read at once
	PushInternal         = "internal_error"     // 500: a bug
)

// Digest failure reasons (DigestFailed); DigestReason maps digest's errors.
const (
	DigestMissing       = "missing"
	DigestMalformed     = "malformed"
	DigestMismatch      = "mismatch"
	DigestBadTimestamp  = "bad_timestamp"
	DigestTooOld        = "too_old"
	DigestFuture        = "future"
	DigestNoSecret      = "no_secret"
	DigestUnknownTenant = "unknown_tenant"
)

// Job outcomes (JobProcessed): the tasks.Outcome* values, plus "skipped".
const (
	JobOK        = "ok"        // done
	JobRetry     = "retry"     // transient failure, asynq retries
	JobFailed    = "failed"    // permanent or retries exhausted
	JobMalformed = "malformed" // unreadable payload
	JobSkipped   = "skipped"   // nothing to do
	// JobConfirmed: 勤策 holds the statement in a final state; kept and
	// reported, not saved (KSF_CONFIRMED_POLICY=keep).
	JobConfirmed = "confirmed"
)

var (
	pushOutcomes   = []string{PushQueued, PushAlreadyQueued, PushReplayed, PushBadRequest, PushUnauthorized, PushTooLarge, PushMethodNotAllowed, PushUnknownDataType, PushUnavailable, PushBusy, PushInternal}
	digestReasons  = []string{DigestMissing, DigestMalformed, DigestMismatch, DigestBadTimestamp, DigestTooOld, DigestFuture, DigestNoSecret, DigestUnknownTenant}
	jobOutcomes    = []string{JobOK, JobRetry, JobFailed, JobMalformed, JobSkipped, JobConfirmed}
	kinds          = []string{tasks.TypePush, tasks.TypeStatement, tasks.TypeExpense, tasks.TypeReport}
	callOutcomes   = []string{upstream.OutcomeOK, upstream.OutcomePermanent, upstream.OutcomeTransient, upstream.OutcomeCanceled}
	dataTypes      = []string{tasks.DataTypeStatement, tasks.DataTypeExpense}
	vendors        = []string{"waiqin", "oms", "jdy", "wdt"}
	maxEndpointLen = 64
	historyDrops   = []string{"run", "body", "period"} // history.Dropped*
)

// Buckets in seconds. Pushes and enqueues must fit in 勤策's 5 s; upstream
// calls and jobs run longer.
var (
	fastBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	callBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	jobBuckets  = []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 120, 300, 600}
)

// Metrics holds every ksfsync series in its own registry. Its methods are
// safe for concurrent use; a nil *Metrics ignores every call, so callers
// need no checks.
type Metrics struct {
	reg *prometheus.Registry

	pushes         *prometheus.CounterVec
	pushDuration   *prometheus.HistogramVec
	digestFailures *prometheus.CounterVec
	enqueue        prometheus.Histogram
	jobs           *prometheus.CounterVec
	jobDuration    *prometheus.HistogramVec
	calls          *prometheus.CounterVec
	callDuration   *prometheus.HistogramVec
	saved          *prometheus.CounterVec
	errorLogs      *prometheus.CounterVec
	differences    *prometheus.CounterVec
	historyDropped *prometheus.CounterVec
	historyFailed  prometheus.Counter
}

// New returns Metrics registered in a fresh registry, with the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_pushes_total",
			Help: "Pushes received from 勤策 by data type and outcome."}, []string{"data_type", "outcome"}),
		pushDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ksf_push_duration_seconds",
			Help: "Time to answer a push, by outcome.", Buckets: fastBuckets}, []string{"outcome"}),
		digestFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_digest_failures_total",
			Help: "Pushes refused by digest verification, by reason."}, []string{"reason"}),
		enqueue: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ksf_enqueue_duration_seconds",
			Help: "Time to enqueue a push's job in Redis.", Buckets: fastBuckets}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_jobs_processed_total",
			Help: "Jobs processed by kind and outcome (ok, retry, failed, malformed, skipped)."}, []string{"kind", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ksf_job_duration_seconds",
			Help: "Job run time by kind.", Buckets: jobBuckets}, []string{"kind"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_upstream_calls_total",
			Help: "HTTP requests to vendors by vendor, endpoint and outcome."}, []string{"vendor", "endpoint", "outcome"}),
		callDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ksf_upstream_call_duration_seconds",
			Help: "Vendor request latency by vendor and endpoint.", Buckets: callBuckets}, []string{"vendor", "endpoint"}),
		saved: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_statements_saved_total",
			Help: "Statements saved to 勤策 (saveStatement / saveExpense) by kind."}, []string{"kind"}),
		errorLogs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_error_logs_sent_total",
			Help: "Error logs sent to 勤策 (saveStatementError / saveExpenseError) by kind."}, []string{"kind"}),
		differences: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_reconcile_differences_total",
			Help: "Statements built with a reconciliation difference (对账差异) by kind."}, []string{"kind"}),
		historyDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_history_dropped_total",
			Help: "What the run history's caps dropped: run (off a capped run list), body (statement over the size cap), period (a whole period, over the period cap or past retention)."}, []string{"what"}),
		historyFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "ksf_history_write_failures_total",
			Help: "Run history writes that failed (the job itself is unaffected)."}),
	}
	m.reg.MustRegister(m.pushes, m.pushDuration, m.digestFailures, m.enqueue, m.jobs, m.jobDuration,
		m.calls, m.callDuration, m.saved, m.errorLogs, m.differences, m.historyDropped, m.historyFailed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Zero series for the known values, so rate() and alerts work before
	// the first event.
	for _, dt := range dataTypes {
		m.pushes.WithLabelValues(dt, PushQueued)
	}
	for _, k := range kinds {
		for _, o := range []string{JobOK, JobRetry, JobFailed} {
			m.jobs.WithLabelValues(k, o)
		}
	}
	for _, w := range historyDrops {
		m.historyDropped.WithLabelValues(w)
	}
	return m
}

// Registry is the registry the series live in (to add more collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format. A collector
// that fails (Redis down for the queue metrics) is reported in the log of
// the scrape and the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: m.reg})
}

// RegisterQueueMetrics adds asynq's queue series (asynq_queue_size,
// asynq_tasks_enqueued{queue,state}, asynq_queue_latency_seconds, …), read
// through inspector at each scrape; a failed read is a warning on log.
func (m *Metrics) RegisterQueueMetrics(inspector *asynq.Inspector, log zerolog.Logger) error {
	return m.reg.Register(queueCollector{in: inspector, log: log})
}

func oneOf(v string, set []string) string {
	if slices.Contains(set, v) {
		return v
	}
	return Other
}

// kindOf accepts a task kind or a data type (ksf_statement → ksf:statement).
func kindOf(k string) string {
	switch k {
	case tasks.DataTypeStatement:
		return tasks.TypeStatement
	case tasks.DataTypeExpense:
		return tasks.TypeExpense
	}
	return oneOf(k, kinds)
}

// PushHandled counts one push answered with outcome (Push*) after d.
func (m *Metrics) PushHandled(dataType, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	outcome = oneOf(outcome, pushOutcomes)
	m.pushes.WithLabelValues(oneOf(dataType, dataTypes), outcome).Inc()
	m.pushDuration.WithLabelValues(outcome).Observe(d.Seconds())
}

// DigestFailed counts a push refused by digest verification (Digest*).
func (m *Metrics) DigestFailed(reason string) {
	if m == nil {
		return
	}
	m.digestFailures.WithLabelValues(oneOf(reason, digestReasons)).Inc()
}

// DigestReason maps an error of digest.Verifier.Verify to a Digest* reason.
func DigestReason(err error) string {
	switch {
	case errors.Is(err, digest.ErrMissingDigest):
		return DigestMissing
	case errors.Is(err, digest.ErrMalformedDigest):
		return DigestMalformed
	case errors.Is(err, digest.ErrMismatch):
		return DigestMismatch
	case errors.Is(err, digest.ErrBadTimestamp):
		return DigestBadTimestamp
	case errors.Is(err, digest.ErrTooOld):
		return DigestTooOld
	case errors.Is(err, digest.ErrFuture):
		return DigestFuture
	case errors.Is(err, digest.ErrNoSecret):
		return DigestNoSecret
	}
	return Other
}

// Enqueued observes the time one enqueue into Redis took.
func (m *Metrics) Enqueued(d time.Duration) {
	if m == nil {
		return
	}
	m.enqueue.Observe(d.Seconds())
}

// ObserveCall implements upstream.Observer: one HTTP request to a vendor.
// op is the vendor's endpoint (a constant in the client, never a URL).
func (m *Metrics) ObserveCall(vendor, op, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	vendor = oneOf(vendor, vendors)
	if op == "" || len(op) > maxEndpointLen || strings.ContainsAny(op, "?&= ") {
		op = Other // a URL or a query would leak ids (and secrets) into label values
	}
	m.calls.WithLabelValues(vendor, op, oneOf(outcome, callOutcomes)).Inc()
	m.callDuration.WithLabelValues(vendor, op).Observe(d.Seconds())
}

// JobProcessed counts one job run of kind with outcome (Job*) after d.
func (m *Metrics) JobProcessed(kind, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	kind = kindOf(kind)
	m.jobs.WithLabelValues(kind, oneOf(outcome, jobOutcomes)).Inc()
	m.jobDuration.WithLabelValues(kind).Observe(d.Seconds())
}

// StatementSaved counts a statement saved to 勤策.
func (m *Metrics) StatementSaved(kind string) {
	if m == nil {
		return
	}
	m.saved.WithLabelValues(kindOf(kind)).Inc()
}

// ErrorLogSent counts an error log sent to 勤策.
func (m *Metrics) ErrorLogSent(kind string) {
	if m == nil {
		return
	}
	m.errorLogs.WithLabelValues(kindOf(kind)).Inc()
}

// ReconcileDifference counts a statement built with a reconciliation difference.
func (m *Metrics) ReconcileDifference(kind string) {
	if m == nil {
		return
	}
	m.differences.WithLabelValues(kindOf(kind)).Inc()
}

// HistoryDropped counts n things the run history's caps dropped
// (history.Dropped*: run, body, period).
func (m *Metrics) HistoryDropped(what string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.historyDropped.WithLabelValues(oneOf(what, historyDrops)).Add(float64(n))
}

// HistoryWriteFailed counts a run history write that failed.
func (m *Metrics) HistoryWriteFailed() {
	if m == nil {
		return
	}
	m.historyFailed.Inc()
}

// Metrics is what upstream clients report to.
var _ upstream.Observer = (*Metrics)(nil)
