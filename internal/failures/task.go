package failures

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// subject is what every ksfsync payload says about whom it concerns: Sync
// and Report carry the fields directly, Push inside "data".
type subject struct {
	tasks.Sync
	Data *struct {
		CustomerCodes []string `json:"customer_codes"`
		StartDate     string   `json:"start_date"`
		EndDate       string   `json:"end_date"`
	} `json:"data"`
}

// Describe fills r's tenant, message, data type, customer and period from
// its payload. An unreadable payload leaves them empty.
func (r *Record) Describe() {
	var s subject
	if json.Unmarshal(r.Payload, &s) != nil {
		return
	}
	r.TenantID, r.MsgID, r.DataType = s.TenantID, s.MsgID, s.DataType
	r.CustomerCode, r.StartDate, r.EndDate = s.CustomerCode, s.StartDate, s.EndDate
	if s.Data != nil {
		r.CustomerCode = strings.Join(s.Data.CustomerCodes, ",")
		r.StartDate, r.EndDate = s.Data.StartDate, s.Data.EndDate
	}
}

// FromTaskInfo is the record of an asynq task (archived or retrying).
func FromTaskInfo(t *asynq.TaskInfo) Record {
	r := Record{TaskID: t.ID, Kind: t.Type, Queue: t.Queue, Payload: t.Payload,
		LastError: t.LastErr, Retried: t.Retried, MaxRetry: t.MaxRetry, FailedAt: t.LastFailedAt}
	r.Describe()
	return r
}

// recordTimeout bounds a write made while the job's own context may be done.
const recordTimeout = 5 * time.Second

// ErrorHandler returns an asynq.ErrorHandler that records every job that
// failed for good (retries exhausted or asynq.SkipRetry), then calls next
// (may be nil). A failure to record is logged: the task is still archived by
// asynq, and Capture picks it up later.
func (s *Store) ErrorHandler(log zerolog.Logger, next asynq.ErrorHandler) asynq.ErrorHandler {
	return asynq.ErrorHandlerFunc(func(ctx context.Context, task *asynq.Task, err error) {
		if next != nil {
			defer next.HandleError(ctx, task, err)
		}
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		if errors.Is(err, asynq.RevokeTask) || (retried < maxRetry && !errors.Is(err, asynq.SkipRetry)) {
			return // asynq retries it (or drops it on purpose)
		}
		id, _ := asynq.GetTaskID(ctx)
		queue, _ := asynq.GetQueueName(ctx)
		r := Record{TaskID: id, Kind: task.Type(), Queue: queue, Payload: task.Payload(),
			LastError: err.Error(), Retried: retried, MaxRetry: maxRetry, FailedAt: s.opts.Now()}
		r.Describe()
		// The job's context is often done here (timeout, shutdown): the
		// record must be written all the same.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		if rerr := s.Record(wctx, r); rerr != nil {
			log.Error().Err(rerr).Str("task_id", id).Str("kind", r.Kind).Msg("could not write the failure record; Capture will retry")
		}
	})
}

// Middleware notes in the failure record when a recorded task later
// succeeds (re-run from the queue UI, or by asynq after a replay), so the
// admin API stops listing it as failed. It costs one Redis read per
// successful task; an error there is logged and does not fail the task.
func (s *Store) Middleware(log zerolog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if err != nil {
				return err
			}
			id, _ := asynq.GetTaskID(ctx)
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
			defer cancel()
			r, gerr := s.Get(wctx, id)
			if gerr == nil && !r.Replayed() {
				_, gerr = s.MarkReplayed(wctx, id, s.opts.Now())
			}
			if gerr != nil && !errors.Is(gerr, ErrNotFound) {
				log.Warn().Err(gerr).Str("task_id", id).Msg("could not note the success in the failure record")
			}
			return nil
		})
	}
}

// Capture records every archived task of the queues that has no record yet
// or failed again since it was recorded: the tasks asynq archived without
// calling the ErrorHandler (a worker that died mid-job, found by asynq's
// recoverer). Run it periodically, well within asynq's 90-day/10,000-task
// window. It answers how many records it wrote.
func (s *Store) Capture(ctx context.Context, in *asynq.Inspector, queues ...string) (int, error) {
	n := 0
	for _, q := range queues {
		for page := 1; ; page++ {
			list, err := in.ListArchivedTasks(q, asynq.Page(page), asynq.PageSize(scanBatch))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				break
			}
			if err != nil {
				return n, err
			}
			for _, t := range list {
				old, err := s.Get(ctx, t.ID)
				if err == nil && !t.LastFailedAt.After(old.FailedAt) {
					continue
				}
				if err != nil && !errors.Is(err, ErrNotFound) {
					return n, err
				}
				if err := s.Record(ctx, FromTaskInfo(t)); err != nil {
					return n, err
				}
				n++
			}
			if len(list) < scanBatch {
				break
			}
		}
	}
	return n, nil
}
