package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// Retry and timeout policy per kind. Documented in docs/worker.md.
const (
	SyncMaxRetry   = 10               // 1.2–2.4 h of backoff (RetryDelay) before save*Error is sent
	ReportMaxRetry = 20               // error logs matter: keep trying 6–12 h
	PushTimeout    = 5 * time.Minute  // a fan-out of 5,000 customers
	SyncTimeout    = 10 * time.Minute // fetch every page, build, save
	ReportTimeout  = time.Minute
	SyncRetention  = 24 * time.Hour // a re-run fan-out within a day adds nothing twice
	RetryBase      = 10 * time.Second
	RetryCap       = time.Hour
)

// RetryDelay is exponential backoff with jitter: base·2^n capped at RetryCap,
// then a uniformly random 50–100 % of it, so a burst of failures spreads out.
// Retry n=0 waits 5–10 s, n=5 about 2.7–5.3 min, n≥9 30–60 min.
//
// A task whose worker died (asynq.ErrLeaseExpired: the recoverer found its
// lease expired) is retried at once: it has waited 60–120 s for asynq's
// recoverer already, and nothing says its source is failing.
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	if errors.Is(err, asynq.ErrLeaseExpired) {
		return 0
	}
	d := RetryCap
	if n < 20 {
		if x := RetryBase << n; x < RetryCap {
			d = x
		}
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// SyncQueue is the queue of p's sync tasks: QueueInteractive when p is a
// push or a resync naming 1..interactiveMax customers (someone is waiting
// for them), QueueSync for bulk work — more customers, an empty
// customer_code (every customer), or any other origin such as a scheduled
// run. interactiveMax 0 = no interactive lane. A fan-out that runs again
// routes the same way, so task ids stay unique within their queue.
func SyncQueue(p Push, interactiveMax int) string {
	n := len(p.Data.CustomerCodes)
	if (p.Origin == OriginPush || p.Origin == OriginResync || p.Origin == "") && n > 0 && n <= interactiveMax {
		return QueueInteractive
	}
	return QueueSync
}

// NewSyncTask returns the ksf:statement / ksf:expense task of s, on
// QueueSync; asynq.Queue(SyncQueue(…)) at enqueue picks its lane.
func NewSyncTask(s Sync) (*asynq.Task, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode sync payload: %w", err)
	}
	return asynq.NewTask(s.Kind(), b,
		asynq.TaskID(SyncTaskID(s.TenantID, s.MsgID, s.DataType, s.CustomerCode)),
		asynq.Queue(QueueSync),
		asynq.MaxRetry(SyncMaxRetry),
		asynq.Timeout(SyncTimeout),
		asynq.Retention(SyncRetention),
	), nil
}

// NewReportTask returns the ksf:report task of r.
func NewReportTask(r Report) (*asynq.Task, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode report payload: %w", err)
	}
	opts := []asynq.Option{
		asynq.Queue(QueueReport),
		asynq.MaxRetry(ReportMaxRetry),
		asynq.Timeout(ReportTimeout),
	}
	if r.SyncTaskID != "" {
		opts = append(opts, asynq.TaskID(ReportTaskID(r.SyncTaskID)))
	}
	return asynq.NewTask(TypeReport, b, opts...), nil
}
