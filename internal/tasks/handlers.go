package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// ErrPermanent marks a failure that is not a vendor's but cannot succeed on
// retry either (a period a source cannot serve, a value 勤策 cannot hold).
// Builders wrap such errors with Permanent.
var ErrPermanent = errors.New("permanent failure")

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// IsPermanent is the worker's classification: a vendor's permanent failure,
// anything marked with Permanent, or asynq.SkipRetry. Everything else is
// retried.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrPermanent) || upstream.IsPermanent(err) || errors.Is(err, asynq.SkipRetry)
}

// Waiqin is what the worker needs of 勤策: the customer list and the save
// calls. An adapter over the waiqin client picks the tenant's credentials.
type Waiqin interface {
	// Customers calls fn with every customer code getCustomers returns.
	Customers(ctx context.Context, tenantID string, fn func(code string) error) error
	SaveStatement(ctx context.Context, tenantID string, s *statement.Statement) error
	SaveExpense(ctx context.Context, tenantID string, e *statement.Expense) error
	SaveStatementError(ctx context.Context, tenantID string, log statement.ErrorLog) error
	SaveExpenseError(ctx context.Context, tenantID string, log statement.ErrorLog) error
}

// Built is one customer's statement, ready to save. Exactly one of
// Statement and Expense is set, by the job's data type.
type Built struct {
	Statement  *statement.Statement
	Expense    *statement.Expense
	Difference bool // the ledger and the bills disagree (goods statements)
	// DifferenceAmount is (zqmye − begin_balance) − (zjkje − (zchje − zthje)),
	// rounded to cents, also when within tolerance (goods statements).
	DifferenceAmount decimal.Decimal
	Lines            int // trade + detail rows, for logs
}

// Builder fetches one customer's source records for a period and builds the
// statement. Errors are classified with upstream.IsPermanent / Permanent.
type Builder interface {
	Build(ctx context.Context, s Sync) (Built, error)
}

// BuilderFunc adapts a function to Builder.
type BuilderFunc func(ctx context.Context, s Sync) (Built, error)

// Build calls f.
func (f BuilderFunc) Build(ctx context.Context, s Sync) (Built, error) { return f(ctx, s) }

// Enqueuer is satisfied by *asynq.Client.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Observer is told what the worker does (metrics). Nil is allowed.
type Observer interface {
	JobProcessed(kind, outcome string, d time.Duration)
	StatementSaved(kind string)
	ErrorLogSent(kind string)
	ReconcileDifference(kind string)
}

// Job outcomes reported to the Observer and logged.
const (
	OutcomeOK        = "ok"        // done
	OutcomeRetry     = "retry"     // transient failure, asynq will retry
	OutcomeFailed    = "failed"    // permanent or retries exhausted: reported to 勤策, archived
	OutcomeMalformed = "malformed" // payload unreadable: archived
)

// Handlers processes every ksfsync task kind. Register it on an asynq.ServeMux.
type Handlers struct {
	Waiqin     Waiqin
	Statements Builder // goods statements (KSF_STATEMENT_SOURCE)
	Expenses   Builder // expense statements (KSF_EXPENSE_SOURCE)
	Enqueuer   Enqueuer
	Observer   Observer
	// Recorder keeps how each sync job ended (the run history); nil = none.
	Recorder Recorder
	Logger   zerolog.Logger

	attempt func(ctx context.Context) (retried int, final bool) // tests
}

// attemptOf tells how many times the running task was retried and whether
// this is its last try.
func (h *Handlers) attemptOf(ctx context.Context) (int, bool) {
	if h.attempt != nil {
		return h.attempt(ctx)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	return retried, ok && retried >= maxRetry
}

// Register routes each kind to its handler.
func (h *Handlers) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypePush, h.HandlePush)
	mux.HandleFunc(TypeStatement, h.HandleSync)
	mux.HandleFunc(TypeExpense, h.HandleSync)
	mux.HandleFunc(TypeReport, h.HandleReport)
}

// HandlePush fans a push out to one sync task per customer. Each sync task's
// ID derives from the push and the customer, so a re-run after a crash adds
// nothing twice; the counts are written as the task's result.
func (h *Handlers) HandlePush(ctx context.Context, t *asynq.Task) (err error) {
	start := time.Now()
	var p Push
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		h.done(t.Type(), OutcomeMalformed, start, h.Logger.Error().Err(err))
		return fmt.Errorf("decode push payload: %v: %w", err, asynq.SkipRetry)
	}
	res := PushResult{Kind: SyncKind(p.DataType)}
	defer func() {
		ev := h.Logger.Info()
		outcome := OutcomeOK
		if err != nil {
			ev, outcome = h.Logger.Warn().Err(err), OutcomeRetry
		}
		h.done(t.Type(), outcome, start, ev.Str("tenant", p.TenantID).Str("msg_id", p.MsgID).
			Str("data_type", p.DataType).Int("customers", res.Customers).
			Int("fanned_out", res.FannedOut).Int("already_queued", res.AlreadyQueued).
			Str("period", p.Data.StartDate+".."+p.Data.EndDate))
	}()
	if !ValidDataType(p.DataType) {
		return fmt.Errorf("unknown data type %q: %w", p.DataType, asynq.SkipRetry)
	}
	enqueue := func(code string) error {
		res.Customers++
		task, err := NewSyncTask(Sync{TenantID: p.TenantID, MsgID: p.MsgID, DataType: p.DataType,
			CustomerCode: code, StartDate: p.Data.StartDate, EndDate: p.Data.EndDate})
		if err != nil {
			return err
		}
		switch _, err := h.Enqueuer.EnqueueContext(ctx, task); {
		case errors.Is(err, asynq.ErrTaskIDConflict):
			res.AlreadyQueued++
		case err != nil:
			return fmt.Errorf("enqueue sync task of customer %s: %w", code, err)
		default:
			res.FannedOut++
		}
		return nil
	}
	if len(p.Data.CustomerCodes) == 0 {
		res.AllCustomers = true
		seen := make(map[string]struct{})
		err = h.Waiqin.Customers(ctx, p.TenantID, func(code string) error {
			if _, dup := seen[code]; dup || code == "" {
				return nil
			}
			seen[code] = struct{}{}
			return enqueue(code)
		})
		if err != nil {
			return fmt.Errorf("list customers: %w", err)
		}
	} else {
		for _, code := range p.Data.CustomerCodes {
			if err := enqueue(code); err != nil {
				return err
			}
		}
	}
	if rw := t.ResultWriter(); rw != nil { // nil outside an asynq server
		if b, err := json.Marshal(res); err == nil {
			_, _ = rw.Write(b) // the audit trail; a failed write loses no work
		}
	}
	return nil
}

// HandleSync builds one customer's statement and saves it to 勤策. A permanent
// failure is reported with save*Error at once and not retried; a transient
// one is retried, and reported when retries run out.
func (h *Handlers) HandleSync(ctx context.Context, t *asynq.Task) error {
	start := time.Now()
	var s Sync
	if err := json.Unmarshal(t.Payload(), &s); err != nil || !ValidDataType(s.DataType) {
		h.done(t.Type(), OutcomeMalformed, start, h.Logger.Error().Err(err).Str("task_id", taskID(ctx)))
		return fmt.Errorf("decode sync payload: %v: %w", err, asynq.SkipRetry)
	}
	log := h.Logger.With().Str("kind", t.Type()).Str("task_id", taskID(ctx)).Str("tenant", s.TenantID).
		Str("msg_id", s.MsgID).Str("customer", s.CustomerCode).Str("period", s.StartDate+".."+s.EndDate).Logger()

	b, err := h.build(ctx, s)
	built := err == nil
	if err == nil {
		err = h.save(ctx, s, b)
	}
	run := Run{Sync: s, TaskID: taskID(ctx), Err: err}
	if built {
		run.Built = &b
	}
	if err == nil {
		if b.Difference {
			h.observe(func(o Observer) { o.ReconcileDifference(t.Type()) })
		}
		h.record(ctx, Run{Sync: s, TaskID: taskID(ctx), Outcome: RunSaved, Built: &b, Took: time.Since(start)})
		h.done(t.Type(), OutcomeOK, start, log.Info().Int("lines", b.Lines).Bool("difference", b.Difference))
		return nil
	}
	if ctx.Err() != nil { // shutdown or timeout: asynq hands the task back
		run.Outcome, run.Reason, run.Took = RunRetrying, Reason(err), time.Since(start)
		h.record(ctx, run)
		h.done(t.Type(), OutcomeRetry, start, log.Warn().Err(err))
		return err
	}
	permanent := IsPermanent(err)
	retried, final := h.attemptOf(ctx)
	run.Retried = retried
	if !permanent && !final {
		run.Outcome, run.Reason, run.Took = RunRetrying, Reason(err), time.Since(start)
		h.record(ctx, run)
		h.done(t.Type(), OutcomeRetry, start, log.Warn().Err(err).Int("retried", retried))
		return err
	}
	reason := Reason(err)
	if !permanent {
		reason = Truncate(fmt.Sprintf("重试%d次后仍失败: %s", retried, reason), maxReason)
	}
	if rerr := h.report(ctx, Report{TenantID: s.TenantID, MsgID: s.MsgID, DataType: s.DataType,
		CustomerCode: s.CustomerCode, StartDate: s.StartDate, EndDate: s.EndDate, Reason: reason,
		SyncTaskID: taskID(ctx)}); rerr != nil {
		// Neither reported nor queued for reporting: retry the whole job
		// rather than lose the failure.
		run.Outcome, run.Reason, run.Took = RunRetrying, reason, time.Since(start)
		h.record(ctx, run)
		h.done(t.Type(), OutcomeRetry, start, log.Error().Err(rerr).AnErr("cause", err))
		return fmt.Errorf("%w (and reporting it failed: %v)", err, rerr)
	}
	run.Outcome, run.Reason, run.Took = RunFailed, reason, time.Since(start)
	h.record(ctx, run) // before done: whoever sees the job end finds it in the history
	h.done(t.Type(), OutcomeFailed, start, log.Error().Err(err).Str("reason", reason).Bool("permanent", permanent))
	if permanent {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

func (h *Handlers) build(ctx context.Context, s Sync) (Built, error) {
	b := h.Statements
	if s.DataType == DataTypeExpense {
		b = h.Expenses
	}
	if b == nil {
		return Built{}, Permanent(fmt.Errorf("no source configured for %s", s.DataType))
	}
	return b.Build(ctx, s)
}

func (h *Handlers) save(ctx context.Context, s Sync, b Built) error {
	var err error
	switch {
	case s.DataType == DataTypeExpense && b.Expense != nil:
		err = h.Waiqin.SaveExpense(ctx, s.TenantID, b.Expense)
	case s.DataType == DataTypeStatement && b.Statement != nil:
		err = h.Waiqin.SaveStatement(ctx, s.TenantID, b.Statement)
	default:
		return Permanent(fmt.Errorf("builder returned no %s", s.DataType))
	}
	if err == nil {
		h.observe(func(o Observer) { o.StatementSaved(s.Kind()) })
	}
	return err
}

// report sends the error log now, or queues a ksf:report job to send it.
func (h *Handlers) report(ctx context.Context, r Report) error {
	err := h.saveError(ctx, r)
	if err == nil {
		h.observe(func(o Observer) { o.ErrorLogSent(SyncKind(r.DataType)) })
		return nil
	}
	h.Logger.Warn().Err(err).Str("customer", r.CustomerCode).Msg("error log call failed; queueing a report job")
	task, terr := NewReportTask(r)
	if terr != nil {
		return terr
	}
	if _, terr = h.Enqueuer.EnqueueContext(ctx, task); terr != nil && !errors.Is(terr, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("queue report job: %w", terr)
	}
	return nil
}

// HandleReport repeats a save*Error call that failed inside a sync job.
func (h *Handlers) HandleReport(ctx context.Context, t *asynq.Task) error {
	start := time.Now()
	var r Report
	if err := json.Unmarshal(t.Payload(), &r); err != nil {
		h.done(t.Type(), OutcomeMalformed, start, h.Logger.Error().Err(err))
		return fmt.Errorf("decode report payload: %v: %w", err, asynq.SkipRetry)
	}
	log := h.Logger.With().Str("kind", t.Type()).Str("task_id", taskID(ctx)).Str("tenant", r.TenantID).
		Str("customer", r.CustomerCode).Str("reason", r.Reason).Logger()
	err := h.saveError(ctx, r)
	switch {
	case err == nil:
		h.observe(func(o Observer) { o.ErrorLogSent(SyncKind(r.DataType)) })
		h.done(t.Type(), OutcomeOK, start, log.Info())
		return nil
	case IsPermanent(err):
		h.done(t.Type(), OutcomeFailed, start, log.Error().Err(err))
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	default:
		h.done(t.Type(), OutcomeRetry, start, log.Warn().Err(err))
		return err
	}
}

// saveError calls saveStatementError or saveExpenseError by data type.
func (h *Handlers) saveError(ctx context.Context, r Report) error {
	l := statement.ErrorLog{CustomerCode: r.CustomerCode, StartDate: r.StartDate, ErrorReason: r.Reason}
	if r.DataType == DataTypeExpense {
		return h.Waiqin.SaveExpenseError(ctx, r.TenantID, l)
	}
	return h.Waiqin.SaveStatementError(ctx, r.TenantID, l)
}

func (h *Handlers) done(kind, outcome string, start time.Time, ev *zerolog.Event) {
	d := time.Since(start)
	h.observe(func(o Observer) { o.JobProcessed(kind, outcome, d) })
	ev.Str("kind", kind).Str("outcome", outcome).Dur("latency", d).Msg("job")
}

func (h *Handlers) observe(f func(Observer)) {
	if h.Observer != nil {
		f(h.Observer)
	}
}

func taskID(ctx context.Context) string {
	id, _ := asynq.GetTaskID(ctx)
	return id
}
